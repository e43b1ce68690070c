import fc from "fast-check";
import type { RunContext } from "./harness/context.ts";
import { type CoverageRequest, coverageCases, stallParams } from "./harness/coverage.ts";
import type { Property, Suite } from "./harness/property.ts";
import { COVERAGE_SHAPES, chatRequest, prompt, type RichShape, richShape } from "./harness/requests.ts";
import type { CaseSpec } from "./harness/types.ts";

type Step = string | { step: string; [k: string]: unknown };

/** Retry-After values a provider gives: none at all, a second, and waits no gateway should sit out (120 s). */
const retryAfterS = fc.constantFrom(0, 1, 2, 30, 120);
const retryAfterMode = fc.constantFrom("seconds", "http-date", "none");

const rateLimit: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ step: fc.constant("rate_limit"), retryAfter: retryAfterMode, retryAfterS }),
  },
  // OpenAI's 429 for an exhausted quota: retrying that provider is pointless, another may answer.
  { weight: 1, arbitrary: fc.constant<Step>({ step: "rate_limit", variant: "insufficient_quota" }) },
);

/**
 * A provider that cannot answer again, whatever its status says: its account's money or quota is spent
 * (429 or 402 without Retry-After), or it sent `x-should-retry: false` (docs/contract.md §29).
 */
const spent: fc.Arbitrary<Step> = fc.oneof(
  fc.constant<Step>("quota_exhausted"),
  fc.record({
    step: fc.constantFrom("rate_limit", "server_error", "unavailable"),
    shouldRetry: fc.constant(false),
  }),
);

/** 503 and 529 (Anthropic's overloaded) with and without Retry-After. */
const overloaded: fc.Arbitrary<Step> = fc.oneof(
  fc.constantFrom<Step>("unavailable", "overloaded"),
  fc.record({
    step: fc.constantFrom("unavailable", "overloaded"),
    retryAfter: fc.constantFrom("seconds", "http-date"),
    retryAfterS,
  }),
);

/**
 * A body that starts and breaks: where JSON was asked for, SSE bytes or a cut body; on a stream, nothing
 * past the headers (a break after the first event is streams.break's).
 */
const cutBody = (stream: boolean): fc.Arbitrary<Step> =>
  fc.record({
    step: fc.constantFrom("stream_cut", "close_clean", "stream_error"),
    afterChunks: fc.integer({ min: 0, max: stream ? 0 : 2 }),
  });

const fastFailures = (stream = false) => [
  { weight: 3, arbitrary: rateLimit },
  { weight: 2, arbitrary: overloaded },
  { weight: 2, arbitrary: fc.constantFrom<Step>("server_error", "bad_gateway", "gateway_timeout") },
  { weight: 2, arbitrary: fc.constantFrom<Step>("reset", "empty", "garbage", "malformed_json") },
  { weight: 1, arbitrary: cutBody(stream) },
  { weight: 1, arbitrary: fc.constantFrom<Step>("auth", "permission") },
  { weight: 1, arbitrary: spent },
];

/**
 * upstream.retryable and upstream.auth that fail at once (docs/contract.md, "Conditions"): status errors
 * (429, 500, 502, 503, 504, 529, with Retry-After as seconds or an HTTP-date, small and large), resets,
 * empty replies, garbage, malformed JSON, bodies cut after their first bytes, refused provider keys.
 * Drawn apart from hangs, so a gateway that waits forever on a hang cannot hide what it does when every
 * provider fails fast.
 */
export const fastFailureStep = (stream = false): fc.Arbitrary<Step> => fc.oneof(...fastFailures(stream));

/** Failures only an attempt timeout ends: no answer, headers then silence, a body that stalls. */
function hangStep(ctx: RunContext): fc.Arbitrary<Step> {
  return fc.constantFrom<Step>("hang", "headers_then_hang", { step: "stall", ...stallParams(ctx) });
}

/** Every step a gateway must fail over on: the fast failures and the hangs. */
export function retryableStep(ctx: RunContext): fc.Arbitrary<Step> {
  return fc.oneof(...fastFailures(), { weight: 1, arbitrary: hangStep(ctx) });
}

/** Failures that happen before a stream's first byte. */
function preStreamStep(ctx: RunContext): fc.Arbitrary<Step> {
  return fc.oneof(
    { weight: 6, arbitrary: rateLimit },
    { weight: 4, arbitrary: overloaded },
    { weight: 4, arbitrary: fc.constantFrom<Step>("server_error", "reset", "empty", "garbage", "auth") },
    // After the headers, before the first event: a gateway that commits on the headers cannot fail over.
    // Rarer: each costs an attempt timeout (the coverage phase places every one of them anyway).
    { weight: 1, arbitrary: fc.constantFrom<Step>("headers_then_hang", "hang") },
    { weight: 1, arbitrary: fc.constant<Step>({ step: "stall", ...stallParams(ctx), afterChunks: 0 }) },
  );
}

/** The provider that answers: at once, after a delay, or dribbling its answer. */
const answerStep: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Step>("ok") },
  {
    weight: 1,
    arbitrary: fc.record({
      step: fc.constant("latency"),
      dist: fc.constant("fixed"),
      ms: fc.integer({ min: 0, max: 60 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      step: fc.constant("slow_stream"),
      chunkIntervalMs: fc.integer({ min: 0, max: 10 }),
    }),
  },
);

const failingSequence = (step: fc.Arbitrary<Step>) => fc.array(step, { minLength: 1, maxLength: 3 });

const UPSTREAM_GLOBAL = ["TRN-001", "ENV-001", "ENV-002", "ENV-003", "ENV-004", "LEAK-001", "RETRY-001"];

/** A request as an SDK would send it, drawn: prompt, conversation, optional fields. */
const request = fc.tuple(prompt, richShape);

function upstreamCase(
  ctx: RunContext,
  property: string,
  condition: string,
  [text, shape]: [string, RichShape | undefined],
  providers: Record<string, Step[]>,
  stream = false,
): CaseSpec {
  const { profile: p, target: t } = ctx;
  return {
    property,
    condition,
    request: chatRequest(p, t, { text, withMarker: true, stream, shape }),
    plan: { providers },
  };
}

/** The coverage phase's request for case `index`: the simple one, unicode, a conversation, a long prompt. */
const coverageRequest: CoverageRequest = {
  request: (ctx, stream, index) => {
    const { text, shape } = COVERAGE_SHAPES[index % COVERAGE_SHAPES.length]!;
    return chatRequest(ctx.profile, ctx.target, { text, withMarker: true, stream, shape });
  },
};

/** The coverage cases that belong to one property (harness/coverage.ts). */
const coverageOf = (id: string) => (ctx: RunContext) =>
  coverageCases(ctx, coverageRequest).filter((c) => c.property === id);

/**
 * The first k providers fail with `step`, the next answers with `answer`, the rest answer ok. A slow
 * answer is drawn only where a later provider answers too: how long to wait is the gateway's choice.
 */
function withFirstOk(ctx: RunContext, step: fc.Arbitrary<Step>) {
  const names = ctx.providers;
  return fc
    .tuple(fc.integer({ min: 1, max: Math.max(1, names.length - 1) }), answerStep)
    .chain(([k, answer]) =>
      fc.tuple(...names.slice(0, k).map(() => failingSequence(step))).map((fails) => {
        const providers: Record<string, Step[]> = {};
        names.forEach((n, i) => {
          const first = i === k && (answer === "ok" || k < names.length - 1) ? answer : "ok";
          providers[n] = i < k ? (fails[i] as Step[]) : [first];
        });
        return providers;
      }),
    );
}

const failover: Property = {
  id: "upstream.failover",
  suite: "upstream",
  title: "a retryable failure of earlier providers is answered by a later provider",
  needsMock: true,
  checks: ["FO-001", ...UPSTREAM_GLOBAL],
  coverage: coverageOf("upstream.failover"),
  arbitrary: (ctx) =>
    fc
      .tuple(request, withFirstOk(ctx, retryableStep(ctx)))
      .map(([r, providers]) => upstreamCase(ctx, "upstream.failover", "upstream.failover", r, providers)),
};

const exhausted: Property = {
  id: "upstream.exhausted",
  suite: "upstream",
  title: "when every provider fails fast, the gateway answers its exhaustion code",
  needsMock: true,
  checks: ["EXH-001", "EXH-002", ...UPSTREAM_GLOBAL],
  coverage: coverageOf("upstream.exhausted"),
  arbitrary: (ctx) =>
    fc
      .boolean()
      .chain((stream) =>
        fc.tuple(
          request,
          fc.tuple(...ctx.providers.map(() => failingSequence(fastFailureStep(stream)))),
          fc.constant(stream),
        ),
      )
      .map(([r, seqs, stream]) =>
        upstreamCase(
          ctx,
          "upstream.exhausted",
          "upstream.exhausted",
          r,
          Object.fromEntries(ctx.providers.map((n, i) => [n, seqs[i]!])),
          // Streams whose every provider fails before the first byte are answered like JSON ones.
          stream,
        ),
      ),
};

const nonRetryable: Property = {
  id: "upstream.non_retryable",
  suite: "upstream",
  title:
    "a provider's content-policy or context-length error is answered with the upstream code, without failover",
  needsMock: true,
  checks: ["UPS-001", "UPS-002", "RETRY-002", ...UPSTREAM_GLOBAL],
  coverage: coverageOf("upstream.non_retryable"),
  arbitrary: (ctx) =>
    fc
      .tuple(
        request,
        fc.constantFrom("content_policy", "context_length", "prompt_blocked"),
        fc.integer({ min: 0, max: ctx.providers.length - 1 }),
        fc.constantFrom("server_error", "unavailable", "reset"),
        fc.boolean(),
      )
      .map(([r, step, k, before, stream]) => {
        // The refusal comes from provider k; the ones before it fail retryably, the ones after would answer.
        const providers: Record<string, Step[]> = Object.fromEntries(
          ctx.providers.map((n, i) => [n, [i < k ? before : i === k ? step : "ok"]]),
        );
        return {
          ...upstreamCase(ctx, "upstream.non_retryable", "upstream.non_retryable", r, providers, stream),
          expectStatus: [400],
        };
      }),
};

const allHang: Property = {
  id: "upstream.deadline",
  suite: "upstream",
  title: "when every provider hangs, the gateway still answers within its deadline",
  needsMock: true,
  runs: () => 2,
  checks: ["DL-001", "EXH-001", ...UPSTREAM_GLOBAL],
  coverage: coverageOf("upstream.deadline"),
  arbitrary: (ctx) =>
    fc
      .tuple(request, fc.tuple(...ctx.providers.map(() => hangStep(ctx))))
      .map(([r, steps]) =>
        upstreamCase(
          ctx,
          "upstream.deadline",
          "upstream.all_hang",
          r,
          Object.fromEntries(ctx.providers.map((n, i) => [n, [steps[i]!]])),
        ),
      ),
};

const streamFailover: Property = {
  id: "streams.failover",
  suite: "streams",
  title: "a stream fails over before its first byte",
  needsMock: true,
  checks: ["STR-001", "STR-003", ...UPSTREAM_GLOBAL],
  coverage: coverageOf("streams.failover"),
  arbitrary: (ctx) =>
    fc
      .tuple(request, withFirstOk(ctx, preStreamStep(ctx)))
      .map(([r, providers]) =>
        upstreamCase(ctx, "streams.failover", "upstream.stream_failover", r, providers, true),
      ),
};

/** A stream that breaks after its first events: cut, reset, ended without its terminator, an error event, a stall. */
function streamBreakStep(ctx: RunContext): fc.Arbitrary<Step> {
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        step: fc.constantFrom("stream_cut", "stream_reset", "stream_error", "close_clean"),
        afterChunks: fc.integer({ min: 1, max: 3 }),
      }),
    },
    { weight: 1, arbitrary: fc.constant<Step>({ step: "stall", ...stallParams(ctx) }) },
  );
}

const streamBreak: Property = {
  id: "streams.break",
  suite: "streams",
  title: "a stream that breaks midway ends with an error event, never [DONE]",
  needsMock: true,
  checks: ["STR-002", "STR-003", "TRN-001", "LEAK-001"],
  coverage: coverageOf("streams.break"),
  arbitrary: (ctx) =>
    fc
      .tuple(request, fc.tuple(...ctx.providers.map(() => streamBreakStep(ctx))))
      .map(([r, steps]) =>
        upstreamCase(
          ctx,
          "streams.break",
          "upstream.stream_break",
          r,
          Object.fromEntries(ctx.providers.map((n, i) => [n, [steps[i]!]])),
          true,
        ),
      ),
};

export const upstream: Suite = {
  id: "upstream",
  title: "Upstream: failover, exhaustion, non-retryable errors, deadline",
  properties: [failover, exhausted, nonRetryable, allHang],
};

export const streams: Suite = {
  id: "streams",
  title: "Streams: failover before the first byte, broken streams",
  properties: [streamFailover, streamBreak],
};
