import fc from "fast-check";
import type { RunContext } from "./harness/context.ts";
import type { Property } from "./harness/property.ts";
import { chatRequest, prompt } from "./harness/requests.ts";
import type { CaseSpec, ScenarioStep } from "./harness/types.ts";

// Many requests in flight at once, each with a plan of its own (docs/contract.md §20, §21): some answered
// at once, some slowly, some failing over after a delay, JSON and streamed. Their answers are judged
// together, so one request's completion in another's answer is caught (XTALK-001), and each answer's
// content and usage are held to the attempt that produced them (USE-001).

type Step = { step: string; [k: string]: unknown };

/** How one request's providers behave: the first `failing` fail (each after `delayMs`), the next answers. */
interface Behaviour {
  failing: number;
  failure: "rate_limit" | "server_error" | "unavailable" | "reset";
  /** Before the failure (or the answer, when none fails): keeps requests in flight together. */
  delayMs: number;
  /** How the answering provider answers. */
  answer: "ok" | "slow_stream";
  stream: boolean;
}

const behaviour: fc.Arbitrary<Behaviour> = fc.record({
  failing: fc.integer({ min: 0, max: 2 }),
  failure: fc.constantFrom("rate_limit", "server_error", "unavailable", "reset"),
  delayMs: fc.integer({ min: 0, max: 150 }),
  answer: fc.constantFrom("ok", "slow_stream"),
  stream: fc.boolean(),
});

/** One request's plan: failures first, then an answer; providers after the answering one are never asked. */
function planOf(ctx: RunContext, b: Behaviour): Record<string, Step[]> {
  const failing = Math.min(b.failing, ctx.providers.length - 1);
  return Object.fromEntries(
    ctx.providers.map((name, i) => {
      if (i < failing) {
        const step: Step = { step: b.failure, delayMs: b.delayMs };
        // A 429 asking for no wait: the gateway may move on at once.
        if (b.failure === "rate_limit") step.retryAfterS = 0;
        return [name, [step]];
      }
      if (b.answer === "slow_stream") return [name, [{ step: "slow_stream", chunkIntervalMs: 10 }]];
      return [name, [{ step: "ok", delayMs: failing ? 0 : b.delayMs }]];
    }),
  );
}

/** Requests in flight together: 8 to 12, bounded so a case costs at most a few seconds. */
export const MIN_REQUESTS = 8;
export const MAX_REQUESTS = 12;

export function concurrentCase(ctx: RunContext, requests: Array<[string, Behaviour]>): CaseSpec {
  const steps: ScenarioStep[] = requests.map(([text, b], i) => ({
    name: `r${i + 1}`,
    // Each prompt is its own: a gateway may cache identical requests, never different ones.
    request: chatRequest(ctx.profile, ctx.target, {
      text: `request ${i + 1} of ${requests.length}: ${text}`,
      withMarker: true,
      stream: b.stream,
    }),
    startAfterMs: 0,
    plan: { providers: planOf(ctx, b) },
  }));
  return {
    property: "resilience.in_flight",
    condition: "upstream.concurrent",
    request: steps[0]!.request,
    scenario: { steps },
    note: `${steps.length} requests in flight together`,
  };
}

export const concurrency: Property = {
  id: "resilience.in_flight",
  suite: "resilience",
  title: "many requests in flight at once, each with its own plan, each answered with its own completion",
  needsMock: true,
  runs: (ctx) => Math.min(ctx.runs, 3),
  checks: ["XTALK-001", "USE-001"],
  arbitrary: (ctx) =>
    fc
      .array(fc.tuple(prompt, behaviour), { minLength: MIN_REQUESTS, maxLength: MAX_REQUESTS })
      .map((requests) => concurrentCase(ctx, requests)),
};
