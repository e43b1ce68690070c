import { type Condition, familyNames, familyProfile, type Profile } from "../core/profile/schema.ts";
import { renderError } from "./render.ts";

/** An error the gateway answers, before it is rendered into the profile's envelope. */
export interface ErrorSpec {
  code: string;
  status: number;
  message: string;
  /** The offending request field, for envelopes with a `param` or `field` path. */
  param?: string;
  /** The closest model the gateway serves, for envelopes with a `did_you_mean` hint. */
  didYouMean?: string;
  /** Values for the code's `requires` paths, by their last segment (`active_requests`). */
  extra?: Record<string, unknown>;
  headers?: Record<string, string>;
  /** The wait this answer asks for (s), when it is not the gateway's usual one: the providers' (§24). */
  retryAfterS?: number;
}

/** Thrown by any stage of the pipeline; the server renders it. */
export class GatewayError extends Error {
  constructor(readonly spec: ErrorSpec) {
    super(spec.message);
  }
}

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
    readonly defects: ReadonlySet<string>,
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
    if (cond === "auth.missing" && this.defects.has("missing_key_as_invalid")) cond = "auth.invalid";
    if (cond === "request.too_large" && this.defects.has("too_large_400")) cond = "request.invalid";
    const unlisted = UNLISTED[cond] ?? { code: "GATEWAY_ERROR", status: 400 };
    const code = this.codeFor(cond) ?? unlisted.code;
    let status = this.statusOf(code, unlisted.status, PREFERRED[cond]);
    if (this.defects.has("wrong_status") && code === this.codeFor("request.invalid")) status = 422;
    if (this.defects.has("balance_402") && cond === "balance.insufficient") status = 402;
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
    if (this.defects.has("no_retry_after")) return false;
    return this.profile.retryAfter.statuses.includes(status) || (asked && (status === 429 || status === 503));
  }

  /** The error body, built from the profile's envelope paths so any profile renders without code changes. */
  render(spec: ErrorSpec, requestId: string, retryAfterS?: number): Record<string, unknown> {
    return renderError(this.profile, this.defects, spec, requestId, retryAfterS);
  }
}

/**
 * One contract per endpoint family. Under the `<family>_openai_shape` defects a native family answers
 * errors exactly as the default (OpenAI-compatible) family does, as a gateway with one error handler for
 * every path would: the default's envelope and codes, only the family's endpoints kept.
 */
export function familyContracts(profile: Profile, defects: ReadonlySet<string>): Map<string, Contract> {
  const oneHandler = new Set([...defects].flatMap((d) => /^(\w+)_openai_shape$/.exec(d)?.slice(1) ?? []));
  return new Map(
    familyNames(profile).map((name) => {
      const fp = familyProfile(profile, name);
      const p = oneHandler.has(name) ? { ...profile, families: {}, endpoints: fp.endpoints } : fp;
      return [name, new Contract(p, defects)];
    }),
  );
}
