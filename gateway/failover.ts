import type { Dispatcher } from "undici";
import type { AttemptVerdict, CircuitBreakers } from "./breaker.ts";
import { AttemptGuard, type StopReason } from "./guard.ts";
import type { Upstream } from "./options.ts";
import type { FailedAttempt, FailoverPolicy } from "./policy/failover.ts";
import type { SseReader } from "./sse.ts";
import { type AttemptResult, attempt, type RawAnswer } from "./upstream.ts";

export interface Failure {
  provider: string;
  reason: string;
  status?: number;
  raw?: RawAnswer;
  /** The provider did not answer in time (attempt timeout or the request's deadline). */
  timedOut?: boolean;
  /** The wait the provider asked for (Retry-After), in seconds. */
  retryAfterS?: number;
}

export type FailoverOutcome =
  | { kind: "completion"; provider: string; completion: Record<string, unknown> }
  | {
      kind: "stream";
      provider: string;
      reader: SseReader;
      first: Record<string, unknown>;
      guard: AttemptGuard;
    }
  | { kind: "upstream_error"; provider: string; status: number }
  /** A provider's 401 to be answered as the client's own (never, by the reference policy). */
  | { kind: "upstream_auth"; provider: string }
  | { kind: "exhausted"; failures: Failure[] }
  | { kind: "client_gone" };

export interface FailoverRequest {
  upstreams: Upstream[];
  dispatcher: Dispatcher;
  payload: string;
  stream: boolean;
  headersFor(upstream: Upstream): Record<string, string>;
  /** Signals that end every attempt: the client going away, the request's deadline. */
  stops: Array<[AbortSignal, StopReason]>;
  /** undefined: no per-attempt timer. */
  attemptTimeoutMs: number | undefined;
  /** Providers whose breaker is open are skipped without an attempt. */
  breakers?: CircuitBreakers;
  /** What a failed attempt leads to (policy/failover.ts). */
  policy: FailoverPolicy;
}

/** What the attempt says about the provider's health. */
function verdictOf(r: AttemptResult): AttemptVerdict {
  if (r.kind === "stopped") return r.by === "client" ? "abandoned" : "failure";
  if (r.kind === "failed") return r.retryable ? "failure" : "success";
  return "success";
}

/**
 * Tries each provider once, in priority order, and moves on after any retryable failure. A provider's
 * Retry-After is honoured by not asking that provider again within this request.
 */
export async function failover(f: FailoverRequest): Promise<FailoverOutcome> {
  const failures: Failure[] = [];
  const attempts = new Map<string, number>();
  for (let i = 0; i < f.upstreams.length; i++) {
    const upstream = f.upstreams[i]!;
    attempts.set(upstream.name, (attempts.get(upstream.name) ?? 0) + 1);
    if (f.breakers && !f.breakers.allow(upstream.name)) {
      failures.push({ provider: upstream.name, reason: "circuit open" });
      continue;
    }
    const guard = new AttemptGuard(f.stops);
    guard.arm(f.attemptTimeoutMs);
    const r = await attempt({
      upstream,
      dispatcher: f.dispatcher,
      payload: f.payload,
      stream: f.stream,
      headers: f.headersFor(upstream),
      guard,
      refusal: f.policy.completionRefusal,
    });
    f.breakers?.record(upstream.name, verdictOf(r));
    if (r.kind === "stream")
      return { kind: "stream", provider: upstream.name, reader: r.reader, first: r.first, guard };
    guard.dispose();
    if (r.kind === "completion")
      return { kind: "completion", provider: upstream.name, completion: r.completion };
    if (r.kind === "stopped") {
      if (r.by === "client") return { kind: "client_gone" };
      failures.push({ provider: upstream.name, reason: "the request's deadline passed", timedOut: true });
      return { kind: "exhausted", failures };
    }
    const failed: FailedAttempt = {
      status: r.status,
      retryable: r.retryable,
      stream: f.stream,
      attempts: attempts.get(upstream.name)!,
    };
    const verdict = f.policy.upstreamVerdict(failed);
    if (verdict === "client_auth") return { kind: "upstream_auth", provider: upstream.name };
    if (verdict === "answer")
      return { kind: "upstream_error", provider: upstream.name, status: r.status ?? 502 };
    failures.push({
      provider: upstream.name,
      reason: r.reason,
      status: r.status,
      raw: r.raw,
      timedOut: guard.reason === "timeout",
      retryAfterS: r.retryAfterS,
    });
    const step = f.policy.afterFailure(failed);
    if (step === "stop") break;
    if (step === "same") i--;
  }
  return { kind: "exhausted", failures };
}
