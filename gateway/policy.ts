import type { ChatContext } from "./admit.ts";
import { admit } from "./admit.ts";
import type { ErrorSpec, GatewayError } from "./contract.ts";
import type { Failure } from "./failover.ts";
import type { StreamEncoder } from "./families/index.ts";
import type { ResolvedOptions, Upstream } from "./options.ts";
import type { ChatRequest } from "./validate.ts";

/**
 * Decisions of the reference gateway that a one-defect mutant bends, one member each. The reference
 * members below keep the contract; a mutant registers a variant of exactly one member in
 * `POLICY_VARIANTS` (see mutations-checks.ts), so the reference pipeline carries no branch for it.
 */
export interface GatewayPolicy {
  /** The headers of one upstream attempt: the gateway's own provider key, never the client's (§18). */
  upstreamHeaders(c: ChatContext, stream: boolean, u: Upstream): Record<string, string>;
  /** Everything refused before a provider is asked, the account's balance and rate limit included (§19). */
  admit(c: ChatContext): Promise<ChatRequest>;
  /** Whether to ask the same provider again after this failed attempt (§23); `attempts` so far at it. */
  askAgain(status: number | undefined, attempts: number): boolean;
  /**
   * The Retry-After (s) of an exhaustion answer when every provider was rate-limited or overloaded and
   * asked for a wait (§24); undefined leaves the gateway's own rule.
   */
  exhaustedRetryAfterS(failures: Failure[], ownS: number): number | undefined;
  /** The error a refusal thrown inside the pipeline is answered with (§25: no internals in it). */
  errorSpec(e: GatewayError): ErrorSpec;
  /** The time limits of a stream once it is committed to the client (§26). */
  streamLimits(o: ResolvedOptions): { idleTimeoutMs?: number; untilDeadline: boolean };
  /** The frames a broken stream ends with: the dialect's error event and nothing after it (§26). */
  streamErrorFrames(encoder: StreamEncoder, body: Record<string, unknown>, spec: ErrorSpec): string;
}

const RATE_LIMITED = new Set([429, 503, 529]);

export const REFERENCE_POLICY: GatewayPolicy = {
  upstreamHeaders(c, stream, u) {
    // The plan header is forwarded so plans tied by header (not only by body marker) reach the mock.
    const plan = c.req.headers["x-faultline-plan"];
    return {
      "content-type": "application/json",
      accept: stream ? "text/event-stream" : "application/json",
      authorization: `Bearer ${c.opts.upstreamKey(u.name)}`,
      "user-agent": "faultline-reference-gateway",
      ...(typeof plan === "string" ? { "x-faultline-plan": plan } : {}),
    };
  },
  admit,
  askAgain: () => false,
  exhaustedRetryAfterS(failures, ownS) {
    if (!failures.length || !failures.every((f) => f.status !== undefined && RATE_LIMITED.has(f.status)))
      return undefined;
    const asked = failures.flatMap((f) => (f.retryAfterS === undefined ? [] : [f.retryAfterS]));
    // The soonest any provider will take the request again, and never less than the gateway's own wait.
    return asked.length ? Math.max(ownS, Math.min(...asked)) : undefined;
  },
  errorSpec: (e) => e.spec,
  streamLimits: (o) => ({ idleTimeoutMs: o.attemptTimeoutMs, untilDeadline: true }),
  streamErrorFrames: (encoder, body) => encoder.error(body),
};

/** One-member variants by defect id; the gateway applies every variant whose id is among its defects. */
export const POLICY_VARIANTS = new Map<string, Partial<GatewayPolicy>>();

export function policyFor(defects: ReadonlySet<string>): GatewayPolicy {
  let p = REFERENCE_POLICY;
  for (const [id, variant] of POLICY_VARIANTS) if (defects.has(id)) p = { ...p, ...variant };
  return p;
}
