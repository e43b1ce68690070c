import { type Condition, familyNames, type Profile } from "../core/profile/schema.ts";
import type { ErrorSpec } from "./error-spec.ts";
import type { ErrorPolicy } from "./policy/errors.ts";

export { type ErrorSpec, GatewayError } from "./error-spec.ts";

/** Where a profile is silent on a condition, the nearest condition it does map stands in. */
const FALLBACK: Partial<Record<Condition, Condition[]>> = {
  "auth.missing": ["auth.invalid", "auth.malformed"],
  "auth.malformed": ["auth.invalid", "auth.missing"],
  "auth.invalid": ["auth.malformed", "auth.missing"],
  "request.malformed_json": ["request.invalid"],
  "request.too_large": ["request.invalid"],
  "model.disabled": ["model.unknown"],
  "concurrency.limited": ["rate.limited"],
};

/** The seeds name no code for these (docs/contract.md §16), so the gateway picks its own. */
const UNLISTED: Partial<Record<Condition, { code: string; status: number }>> = {
  "route.unknown": { code: "NOT_FOUND", status: 404 },
  "method.unsupported": { code: "METHOD_NOT_ALLOWED", status: 405 },
  "request.invalid": { code: "INVALID_REQUEST", status: 400 },
  "model.unknown": { code: "MODEL_NOT_FOUND", status: 404 },
  "rate.limited": { code: "RATE_LIMITED", status: 429 },
  "concurrency.limited": { code: "RATE_LIMITED", status: 429 },
};

/** Where a code's catalogue entry allows several statuses, the one that says this condition best (RFC 9110 §15.5.14). */
const PREFERRED: Partial<Record<Condition, number>> = { "request.too_large": 413 };

/** Everything the gateway needs to know about one endpoint family's error contract. */
export class Contract {
  constructor(
    readonly profile: Profile,
    readonly policy: ErrorPolicy,
  ) {}

  codeFor(cond: Condition): string | undefined {
    for (const c of [cond, ...(FALLBACK[cond] ?? [])]) {
      const mapped = this.profile.conditions[c];
      if (mapped !== undefined) return [mapped].flat()[0];
    }
    return undefined;
  }

  /** The statuses the catalogue allows for a code; undefined where it varies or the code is unlisted. */
  statusesOf(code: string): number[] | undefined {
    const s = this.profile.catalogue[code]?.status;
    return s === undefined || s === "varies" ? undefined : [s].flat();
  }

  /** The catalogue's status for a code: `preferred` where it is allowed, else the first, else `fallback`. */
  statusOf(code: string, fallback: number, preferred?: number): number {
    const allowed = this.statusesOf(code);
    if (!allowed) return fallback;
    return preferred !== undefined && allowed.includes(preferred) ? preferred : allowed[0]!;
  }

  condition(cond: Condition, message: string, extra: Partial<ErrorSpec> = {}): ErrorSpec {
    cond = this.policy.conditionFor(cond);
    const unlisted = UNLISTED[cond] ?? { code: "GATEWAY_ERROR", status: 400 };
    const code = this.codeFor(cond) ?? unlisted.code;
    const catalogued = this.statusOf(code, unlisted.status, PREFERRED[cond]);
    const status = this.policy.statusFor(cond, code, catalogued, this.profile);
    return { code, status, message, ...extra };
  }

  /** Every provider failed: the first exhaustion code, with a status its catalogue entry allows. */
  exhausted(message: string): ErrorSpec {
    const { codes, statuses } = this.profile.exhaustion;
    const code = codes[0]!;
    const allowed = this.statusesOf(code);
    const status = statuses.find((s) => !allowed || allowed.includes(s)) ?? statuses[0]!;
    return { code, status, message };
  }

  /** A non-retryable provider error, keeping the provider's status where the profile says so. */
  upstream(providerStatus: number, message: string): ErrorSpec {
    const u = this.profile.upstreamError;
    return { code: u.code, status: u.status === "provider" ? providerStatus : u.status, message };
  }

  /**
   * Statuses on which the client is told when to come back (RFC 9110 §10.2.3): those the profile lists,
   * and any 429 or 503 that carries a wait of its own (`asked`: the providers' Retry-After, §24).
   */
  wantsRetryAfter(status: number, asked = false): boolean {
    return this.policy.wantsRetryAfter(this.profile, status, asked);
  }

  /** The error body, built from the profile's envelope paths so any profile renders without code changes. */
  render(spec: ErrorSpec, requestId: string, retryAfterS?: number): Record<string, unknown> {
    const values = this.policy.envelopeValues(this.profile, spec, requestId, retryAfterS);
    return this.policy.renderError(this.profile, spec, values);
  }
}

/** One contract per endpoint family, each answering in the envelope and codes its profile gives it. */
export function familyContracts(profile: Profile, policy: ErrorPolicy): Map<string, Contract> {
  return new Map(
    familyNames(profile).map((name) => [name, new Contract(policy.familyProfile(profile, name), policy)]),
  );
}
