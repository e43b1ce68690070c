import type { Condition, Profile } from "../../suites/profile/schema.ts";

/** An error the gateway answers, before it is rendered into the profile's envelope. */
export interface ErrorSpec {
  code: string;
  status: number;
  message: string;
  /** The offending request field, for envelopes with a `param` path. */
  param?: string;
  headers?: Record<string, string>;
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
};

/** The seeds name no code for these (CONTRACTS.md §16), so the gateway picks its own. */
const UNLISTED: Partial<Record<Condition, { code: string; status: number }>> = {
  "route.unknown": { code: "NOT_FOUND", status: 404 },
  "method.unsupported": { code: "METHOD_NOT_ALLOWED", status: 405 },
  "request.invalid": { code: "INVALID_REQUEST", status: 400 },
  "model.unknown": { code: "MODEL_NOT_FOUND", status: 404 },
  "rate.limited": { code: "RATE_LIMITED", status: 429 },
};

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = target;
  for (const k of keys.slice(0, -1)) {
    const next = node[k];
    if (typeof next !== "object" || next === null) node[k] = {};
    node = node[k] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}

/** Everything the gateway needs to know about the profile's error contract. */
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

  /** The catalogue's status for a code: the first where it lists several, `fallback` where it varies. */
  statusOf(code: string, fallback: number): number {
    const s = this.profile.catalogue[code]?.status;
    if (typeof s === "number") return s;
    if (Array.isArray(s)) return s[0]!;
    return fallback;
  }

  condition(cond: Condition, message: string, extra: Partial<ErrorSpec> = {}): ErrorSpec {
    const unlisted = UNLISTED[cond] ?? { code: "GATEWAY_ERROR", status: 400 };
    const code = this.codeFor(cond) ?? unlisted.code;
    let status = this.statusOf(code, unlisted.status);
    if (this.defects.has("wrong_status") && code === this.codeFor("request.invalid")) status = 422;
    return { code, status, message, ...extra };
  }

  exhausted(message: string): ErrorSpec {
    return { code: this.profile.exhaustion.codes[0]!, status: this.profile.exhaustion.statuses[0]!, message };
  }

  /** A non-retryable provider error, keeping the provider's status where the profile says so. */
  upstream(providerStatus: number, message: string): ErrorSpec {
    const u = this.profile.upstreamError;
    return { code: u.code, status: u.status === "provider" ? providerStatus : u.status, message };
  }

  /** Statuses on which the client is told when to come back (RFC 9110 §10.2.3). */
  wantsRetryAfter(status: number): boolean {
    if (status === 429 && this.defects.has("no_retry_after")) return false;
    return this.profile.retryAfter.statuses.includes(status);
  }

  /** The catalogue's type, else OpenAI's category for the status (seed 000 shows UPSTREAM_ERROR as invalid_request_error). */
  private typeOf(code: string, status: number): string {
    const t = this.profile.catalogue[code]?.type;
    if (t) return t;
    if (status >= 500) return "server_error";
    if (status === 429) return "rate_limit_error";
    return "invalid_request_error";
  }

  /** The error body, built from the profile's envelope paths so any profile renders without code changes. */
  render(spec: ErrorSpec, requestId: string, retryAfterS?: number): Record<string, unknown> {
    if (this.defects.has("flat_envelope")) return { code: spec.code, message: spec.message };
    const env = this.profile.envelope;
    const out: Record<string, unknown> = {};
    for (const [path, value] of Object.entries(env.fixed)) setPath(out, path, value);
    setPath(out, env.message, spec.message);
    if (env.type) setPath(out, env.type, this.typeOf(spec.code, spec.status));
    setPath(out, env.code, spec.code);
    if (env.param && spec.param !== undefined) setPath(out, env.param, spec.param);
    if (env.retryAfter && retryAfterS !== undefined) setPath(out, env.retryAfter, retryAfterS);
    if (env.requestId) setPath(out, env.requestId, requestId);
    if (env.timestamp) setPath(out, env.timestamp, new Date().toISOString());
    return out;
  }
}
