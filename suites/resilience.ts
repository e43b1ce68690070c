import fc from "fast-check";
import { concurrency } from "./concurrency.ts";
import type { RunContext } from "./harness/context.ts";
import type { Property, Suite } from "./harness/property.ts";
import { chatRequest, prompt } from "./harness/requests.ts";
import type { CaseSpec } from "./harness/types.ts";

// Cases for the rules no other property reaches on purpose (docs/contract.md §23, §24, §26): every provider
// turned away for load with a long Retry-After, and streams that go silent upstream. Few cases each: every
// stalled case may cost the gateway's whole deadline.

type Step = { step: string; [k: string]: unknown };

function caseOf(
  ctx: RunContext,
  property: string,
  condition: string,
  text: string,
  steps: Step[],
  stream: boolean,
): CaseSpec {
  return {
    property,
    condition,
    request: chatRequest(ctx.profile, ctx.target, { text, withMarker: true, stream }),
    plan: { providers: Object.fromEntries(ctx.providers.map((n, i) => [n, [steps[i]!]])) },
  };
}

/**
 * A provider turned away for load, asking for a wait far longer than any gateway's own default: 429 with
 * Retry-After in seconds or as an HTTP-date (RFC 9110 §10.2.3), 503 and "overloaded" (Anthropic's 529).
 */
const loadRefusal: fc.Arbitrary<Step> = fc
  .tuple(
    fc.constantFrom("rate_limit", "unavailable", "overloaded"),
    fc.constantFrom<"seconds" | "http-date">("seconds", "http-date"),
    fc.constantFrom(30, 120),
  )
  .map(([step, retryAfter, retryAfterS]) => ({ step, retryAfter, retryAfterS }));

const rateLimited: Property = {
  id: "resilience.rate_limited",
  suite: "resilience",
  title:
    "when every provider is rate-limited with a long Retry-After, the gateway neither storms them nor hides the wait",
  needsMock: true,
  runs: (ctx) => Math.min(ctx.runs, 4),
  checks: ["RA-004", "AMP-001", "RA-003", "EXH-001", "CRED-001", "INT-001"],
  arbitrary: (ctx) =>
    fc
      .tuple(prompt, fc.tuple(...ctx.providers.map(() => loadRefusal)), fc.boolean())
      .map(([text, steps, stream]) =>
        caseOf(ctx, "resilience.rate_limited", "upstream.exhausted", text, steps, stream),
      ),
};

/**
 * An upstream stream that goes silent past the harness's own deadline, so only the gateway's timers can end
 * it: after the headers, or after a few events, then a clean close without the terminator.
 */
function stall(ctx: RunContext): fc.Arbitrary<Step> {
  const stallMs = Math.min(600_000, ctx.harnessDeadlineMs + 1_000);
  return fc.oneof(
    fc.constant<Step>({ step: "headers_then_hang" }),
    fc
      .integer({ min: 1, max: 3 })
      .map((afterChunks): Step => ({ step: "stall", afterChunks, stallMs, resume: false })),
  );
}

const streamStall: Property = {
  id: "resilience.stream_stall",
  suite: "resilience",
  title: "a stream whose providers go silent ends within the deadline with the dialect's error event",
  needsMock: true,
  runs: (ctx) => Math.min(ctx.runs, 3),
  checks: ["STR-004", "STR-005", "STR-003", "INT-001"],
  arbitrary: (ctx) =>
    fc
      .tuple(prompt, fc.tuple(...ctx.providers.map(() => stall(ctx))))
      .map(([text, steps]) =>
        caseOf(ctx, "resilience.stream_stall", "upstream.stream_stall", text, steps, true),
      ),
};

export const resilience: Suite = {
  id: "resilience",
  title: "Resilience: rate-limit storms, amplification, streams that go silent, requests in flight together",
  properties: [rateLimited, streamStall, concurrency],
};
