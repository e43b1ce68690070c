import fc from "fast-check";
import type { RunContext } from "./harness/context.ts";
import type { Property, Suite } from "./harness/property.ts";
import { chatRequest, prompt } from "./harness/requests.ts";
import type { CaseSpec } from "./harness/types.ts";

type Step = string | { step: string; [k: string]: unknown };

const fastFailures = [
  {
    weight: 3,
    arbitrary: fc.record({
      step: fc.constant("rate_limit"),
      retryAfter: fc.constantFrom("seconds", "http-date", "none"),
      retryAfterS: fc.constantFrom(0, 1),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom<Step>(
      "server_error",
      "bad_gateway",
      "unavailable",
      "gateway_timeout",
      "overloaded",
    ),
  },
  { weight: 2, arbitrary: fc.constantFrom<Step>("reset", "empty", "garbage", "malformed_json") },
  { weight: 1, arbitrary: fc.constant<Step>("auth") },
];

/**
 * upstream.retryable and upstream.auth that fail at once (docs/contract.md, "Conditions"): status errors
 * (429, 500, 502, 503, 504, 529), resets, empty replies, garbage, malformed JSON, a refused provider key.
 * Drawn apart from hangs, so a gateway that waits forever on a hang cannot hide what it does when every
 * provider fails fast.
 */
export const fastFailureStep: fc.Arbitrary<Step> = fc.oneof(...fastFailures);

/** Every step a gateway must fail over on: the fast failures and a hang past its attempt timeout. */
export const retryableStep: fc.Arbitrary<Step> = fc.oneof(...fastFailures, {
  weight: 1,
  arbitrary: fc.constant<Step>("hang"),
});

/** Failures that happen before a stream's first byte. */
const preStreamStep: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ step: fc.constant("rate_limit"), retryAfterS: fc.constantFrom(0, 1) }),
  fc.constantFrom<Step>("server_error", "unavailable", "overloaded", "reset", "empty"),
);

const failingSequence = (step: fc.Arbitrary<Step>) => fc.array(step, { minLength: 1, maxLength: 3 });

const UPSTREAM_GLOBAL = ["TRN-001", "ENV-001", "ENV-002", "ENV-003", "ENV-004", "LEAK-001"];

function upstreamCase(
  ctx: RunContext,
  property: string,
  condition: string,
  text: string,
  providers: Record<string, Step[]>,
  stream = false,
): CaseSpec {
  const { profile: p, target: t } = ctx;
  return {
    property,
    condition,
    request: chatRequest(p, t, { text, withMarker: true, stream }),
    plan: { providers },
  };
}

function withFirstOk(ctx: RunContext, step: fc.Arbitrary<Step>) {
  const names = ctx.providers;
  return fc.integer({ min: 1, max: Math.max(1, names.length - 1) }).chain((k) =>
    fc.tuple(...names.slice(0, k).map(() => failingSequence(step))).map((fails) => {
      const providers: Record<string, Step[]> = {};
      names.forEach((n, i) => {
        providers[n] = i < k ? (fails[i] as Step[]) : ["ok"];
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
  arbitrary: (ctx) =>
    fc
      .tuple(prompt, withFirstOk(ctx, retryableStep))
      .map(([text, providers]) =>
        upstreamCase(ctx, "upstream.failover", "upstream.failover", text, providers),
      ),
};

const exhausted: Property = {
  id: "upstream.exhausted",
  suite: "upstream",
  title: "when every provider fails fast, the gateway answers its exhaustion code",
  needsMock: true,
  checks: ["EXH-001", "EXH-002", ...UPSTREAM_GLOBAL],
  arbitrary: (ctx) =>
    fc
      .tuple(prompt, fc.tuple(...ctx.providers.map(() => failingSequence(fastFailureStep))))
      .map(([text, seqs]) =>
        upstreamCase(
          ctx,
          "upstream.exhausted",
          "upstream.exhausted",
          text,
          Object.fromEntries(ctx.providers.map((n, i) => [n, seqs[i]!])),
        ),
      ),
};

const nonRetryable: Property = {
  id: "upstream.non_retryable",
  suite: "upstream",
  title:
    "a provider's content-policy or context-length error is answered with the upstream code, without failover",
  needsMock: true,
  checks: ["UPS-001", "UPS-002", ...UPSTREAM_GLOBAL],
  arbitrary: (ctx) =>
    fc.tuple(prompt, fc.constantFrom("content_policy", "context_length")).map(([text, step]) => {
      const providers: Record<string, Step[]> = Object.fromEntries(ctx.providers.map((n) => [n, ["ok"]]));
      providers[ctx.providers[0]!] = [step];
      return {
        ...upstreamCase(ctx, "upstream.non_retryable", "upstream.non_retryable", text, providers),
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
  arbitrary: (ctx) =>
    prompt.map((text) =>
      upstreamCase(
        ctx,
        "upstream.deadline",
        "upstream.all_hang",
        text,
        Object.fromEntries(ctx.providers.map((n) => [n, ["hang"]])),
      ),
    ),
};

const streamFailover: Property = {
  id: "streams.failover",
  suite: "streams",
  title: "a stream fails over before its first byte",
  needsMock: true,
  checks: ["STR-001", "STR-003", ...UPSTREAM_GLOBAL],
  arbitrary: (ctx) =>
    fc
      .tuple(prompt, withFirstOk(ctx, preStreamStep))
      .map(([text, providers]) =>
        upstreamCase(ctx, "streams.failover", "upstream.stream_failover", text, providers, true),
      ),
};

const streamBreak: Property = {
  id: "streams.break",
  suite: "streams",
  title: "a stream that breaks midway ends with an error event, never [DONE]",
  needsMock: true,
  checks: ["STR-002", "STR-003", "TRN-001", "LEAK-001"],
  arbitrary: (ctx) =>
    fc
      .tuple(
        prompt,
        fc.tuple(
          ...ctx.providers.map(() =>
            fc.record({
              step: fc.constantFrom("stream_cut", "stream_reset", "stream_error"),
              afterChunks: fc.integer({ min: 1, max: 3 }),
            }),
          ),
        ),
      )
      .map(([text, steps]) =>
        upstreamCase(
          ctx,
          "streams.break",
          "upstream.stream_break",
          text,
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
