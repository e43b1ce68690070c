import type { IncomingMessage, Server } from "node:http";
import type { Dispatcher } from "undici";
import type { BodyResult } from "../body.ts";
import type { BreakerConfig, CircuitBreakers } from "../breaker.ts";
import type { ConcurrencyGate } from "../concurrency.ts";
import type { Contract } from "../contract.ts";
import type { ErrorSpec } from "../error-spec.ts";
import type { FailoverOutcome, Failure } from "../failover.ts";
import type { ChatRoute, ClientCodec } from "../families/index.ts";
import type { ResolvedOptions, Upstream } from "../options.ts";
import type { Responder } from "../respond.ts";
import type { ChatRequest, Validation } from "../validate.ts";
import type { ErrorPolicy } from "./errors.ts";
import type { FailoverPolicy } from "./failover.ts";
import type { IdempotencyPolicy } from "./idempotency.ts";
import type { StreamPolicy } from "./stream.ts";
import type { TaskPolicy } from "./tasks.ts";

/** One chat request on its way through the gateway. */
export interface ChatContext {
  req: IncomingMessage;
  reply: Responder;
  opts: ResolvedOptions;
  dispatcher: Dispatcher;
  /** The client's key, already authenticated. */
  key: string;
  /** Aborts when the client goes away or the gateway closes. */
  client: AbortSignal;
  /** The endpoint family's dialect, and what its path says (Gemini: model, streaming). */
  codec: ClientCodec;
  route: ChatRoute;
  gate: ConcurrencyGate;
  /** Per-provider circuit breakers, when the gateway has them. */
  breakers?: CircuitBreakers;
  /** Makes the gateway stop serving; the reference policy never calls it. */
  crash: () => void;
  policy: GatewayPolicy;
}

/** The time limits of one request (ms); undefined: no limit of that kind. */
export interface TimeLimits {
  deadlineMs?: number;
  attemptTimeoutMs?: number;
  /** Longest silence between two events of a committed stream. */
  streamIdleMs?: number;
  /** Whether a committed stream still ends at the request's deadline. */
  streamUntilDeadline: boolean;
}

/**
 * Every decision of the reference gateway that a one-defect mutant may bend. The reference members
 * (REFERENCE_POLICY, policy.ts) keep the contract; a mutant (gateway/mutants/<id>.ts) replaces exactly one
 * member, so the reference pipeline carries no branch for any mutant. Grouped: errors (policy/errors.ts),
 * failover (policy/failover.ts), streams, idempotency, tasks, and the request pipeline below.
 */
export interface GatewayPolicy
  extends ErrorPolicy,
    FailoverPolicy,
    StreamPolicy,
    IdempotencyPolicy,
    TaskPolicy {
  // Admission and validation: everything refused before a provider is asked.
  /** Whether a well-formed key is one the gateway issued (docs/contract.md §3: unknown keys are refused). */
  acceptsKey(key: string, issued: ReadonlySet<string>): boolean;
  /** An unreadable body's answer: its condition's code and status, never a 5xx (docs/contract.md §2, §4). */
  refuseBody(
    contract: Contract,
    refusal: Extract<BodyResult, { ok: false }>,
    req: IncomingMessage,
  ): ErrorSpec;
  /** A failed validation's answer: the field's own code where the profile names one, else request.invalid (§4). */
  invalidRequest(contract: Contract, v: Extract<Validation, { ok: false }>): ErrorSpec;
  /** The refusal of a model the gateway does not serve, with the closest one it does; undefined: served (§3, §4). */
  modelRefusal(contract: Contract, model: string, served: readonly string[]): ErrorSpec | undefined;
  /** Everything refused before a provider is asked, the account's balance and rate limit included (§19). */
  admit(c: ChatContext): Promise<ChatRequest>;

  // Upstream attempts and their answers.
  /** The headers of one upstream attempt: the gateway's own provider key, never the client's (§18). */
  upstreamHeaders(c: ChatContext, stream: boolean, u: Upstream): Record<string, string>;
  /** A deadline for the request and a timeout for each attempt and each stream silence (§11, §26). */
  timeLimits(o: ResolvedOptions): TimeLimits;
  /** The per-provider circuit breakers a configured gateway keeps; an open one half-opens again (§28). */
  breakers(config: BreakerConfig | undefined): CircuitBreakers | undefined;
  /** A provider's non-retryable refusal, answered with the profile's code and the status it keeps (§5, §8). */
  answerUpstreamError(c: ChatContext, spec: ErrorSpec): void;
  /** Every provider failed: an exhaustion error in the envelope, with its Retry-After (§7, §9, §24). */
  answerExhausted(c: ChatContext, chat: ChatRequest, failures: Failure[]): void;
  /** The exhaustion message: which providers failed and how, in the gateway's own words (§7, §12). */
  exhaustedMessage(c: ChatContext, failures: Failure[]): string;
  /**
   * The Retry-After (s) of an exhaustion answer when every provider was rate-limited or overloaded and
   * asked for a wait (§24); undefined leaves the gateway's own rule.
   */
  exhaustedRetryAfterS(failures: Failure[], ownS: number): number | undefined;

  // The server around the pipeline.
  /** Request ids: a fresh one for every answer (§13). */
  requestIds(): () => string;
  /** An unknown route: `route.unknown` in the default family's envelope (§16); throws it. */
  unknownRoute(reply: Responder, method: string, path: string): void;
  /** Anything in front of the routes: nothing, every request goes to them as it came (§17, §24). */
  wrapServer(server: Server, o: ResolvedOptions): void;

  // Members added for §20–§26 checks go below.
  /** Runs one request's own upstream work: never shared with another request (§20). */
  upstreamFor(
    c: ChatContext,
    chat: ChatRequest,
    run: () => Promise<FailoverOutcome>,
  ): Promise<FailoverOutcome>;
  /** The provider's completion as the gateway relays it: its text and usage unchanged (§21). */
  relayCompletion(completion: Record<string, unknown>): Record<string, unknown>;
  /**
   * What stops a request's upstream work when its client goes away: every attempt, the failover between
   * them and a committed stream's relay (§22). The client's own signal.
   */
  clientGone(c: ChatContext): AbortSignal;
}
