import { randomBytes } from "node:crypto";
import { familyProfile } from "../core/profile/schema.ts";
import { admit, invalidRequest, modelRefusal } from "./admit.ts";
import { CircuitBreakers } from "./breaker.ts";
import { answerExhausted, answerUpstreamError, exhaustedMessage } from "./chat.ts";
import { GatewayError } from "./error-spec.ts";
import { parseIdempotencyKey } from "./idempotency-key.ts";
import type { GatewayPolicy } from "./policy/types.ts";
import { envelopeValues, renderError } from "./render.ts";
import { refusalBehind200 } from "./retryability.ts";

// The reference gateway's decisions, each keeping the rule its member's doc (policy/*.ts) states. A
// one-defect mutant (gateway/mutants/<id>.ts) replaces exactly one of them.

export type { ChatContext, GatewayPolicy, TimeLimits } from "./policy/types.ts";

const RATE_LIMITED = new Set([429, 503, 529]);

export const REFERENCE_POLICY: GatewayPolicy = {
  // Errors (policy/errors.ts)
  conditionFor: (cond) => cond,
  statusFor: (_cond, _code, catalogued) => catalogued,
  wantsRetryAfter: (profile, status, asked) =>
    profile.retryAfter.statuses.includes(status) || (asked && (status === 429 || status === 503)),
  envelopeValues,
  renderError,
  familyProfile,
  errorSpec: (e) => e.spec,

  // Failover (policy/failover.ts)
  upstreamVerdict: (f) => (f.retryable ? "next" : "answer"),
  afterFailure: () => "next",
  completionRefusal: (answer) => {
    const refuse = refusalBehind200(answer);
    return refuse ? { refuse } : { relay: answer };
  },

  // Streams (policy/stream.ts)
  streamFrame: (raw) => raw,
  streamErrorFrames: (encoder, body) => encoder.error(body),
  onStreamReset: () => false,

  // Idempotency (policy/idempotency.ts)
  idempotencyKey: (raw) => parseIdempotencyKey(raw),
  idempotencyScope: (scope, key) => `${scope}:${key}`,
  repeatAction: (seen) => (!seen.samePayload ? "mismatch" : seen.finished ? "replay" : "in_flight"),
  replayHeaders: (stored) => stored,
  // A 5xx or 429 means nothing was done: the seed's clients retry those with the same key
  // (data-envelope gateway's Errors guide: "Retry network failures and some 5xx errors with idempotency on POST routes").
  afterAnswer: (status) => (status === undefined || status >= 500 || status === 429 ? "release" : "keep"),

  // Tasks (policy/tasks.ts)
  honoursIdempotency: () => true,
  seesTask: (task, caller) => task.owner === caller,
  taskIdField: (idField) => idField,
  cancelFinished: () => "conflict",
  runsTask: () => true,

  // Admission and validation
  acceptsKey: (key, issued) => issued.has(key),
  refuseBody: (contract, refusal) => contract.condition(refusal.condition, refusal.message),
  invalidRequest,
  modelRefusal,
  admit,

  // Upstream attempts and their answers
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
  timeLimits: (o) => ({
    deadlineMs: o.deadlineMs,
    attemptTimeoutMs: o.attemptTimeoutMs,
    streamIdleMs: o.attemptTimeoutMs,
    streamUntilDeadline: true,
  }),
  breakers: (config) => (config ? new CircuitBreakers(config) : undefined),
  answerUpstreamError,
  answerExhausted,
  exhaustedMessage,
  exhaustedRetryAfterS(failures, ownS) {
    if (!failures.length || !failures.every((f) => f.status !== undefined && RATE_LIMITED.has(f.status)))
      return undefined;
    const asked = failures.flatMap((f) => (f.retryAfterS === undefined ? [] : [f.retryAfterS]));
    // The soonest any provider will take the request again, and never less than the gateway's own wait.
    return asked.length ? Math.max(ownS, Math.min(...asked)) : undefined;
  },

  // The server around the pipeline
  requestIds() {
    // A random prefix per gateway and a counter: unique without asking the kernel for bytes per request.
    const prefix = `req_${randomBytes(8).toString("hex")}`;
    let n = 0;
    return () => `${prefix}${(++n).toString(16).padStart(8, "0")}`;
  },
  unknownRoute(reply, method, path) {
    throw new GatewayError(reply.contract.condition("route.unknown", `Unknown route ${method} ${path}`));
  },
  wrapServer: () => {},

  // Members added for §20–§26 checks go below.
  upstreamFor: (_c, _chat, run) => run(),
  relayCompletion: (completion) => completion,
  clientGone: (c) => c.client,
};
