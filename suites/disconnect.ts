import fc from "fast-check";
import type { RunContext } from "./harness/context.ts";
import type { Property, Suite } from "./harness/property.ts";
import { chatRequest, prompt } from "./harness/requests.ts";
import type { CaseSpec, ClientAbort } from "./harness/types.ts";

// docs/contract.md §22: the client hangs up while the gateway is still working upstream (a provider that
// hangs, answers slowly, fails slowly with others behind it, or streams slowly), before any byte of the
// answer, once the headers arrived, or after the first event; DISC-001 then reads the journal.

type Step = { step: string; [k: string]: unknown };

const CONDITION = "upstream.client_disconnect";
/** Thirty words: a slow stream of them outlasts the harness's watch after the client left. */
const LONG_TEXT = Array.from({ length: 30 }, (_, i) => `word${i + 1}`).join(" ");

/** What the providers do and when the client leaves. `steps` gets the provider count. */
interface Situation {
  id: string;
  /** Drawn only in the random phase: a variation of a coverage situation (each case costs ~0.6 s of watching). */
  randomOnly?: boolean;
  stream: boolean;
  leave: ClientAbort;
  steps(n: number): Step[];
}

/**
 * Every provider but the last does `step`; the last answers. A gateway that ignores the departed client
 * fails over, and with several providers even a short attempt timeout puts a new attempt in the journal
 * well after the client left.
 */
const chain = (step: Step) => (n: number) =>
  Array.from({ length: n }, (_, i): Step => (i < n - 1 || n === 1 ? step : { step: "ok" }));

const BEFORE: ClientAbort = { at: "before_response" };
const slowStream: Step = { step: "slow_stream", chunkIntervalMs: 150, text: LONG_TEXT };

/** Each situation once in the coverage phase (but the random-only ones); the random phase draws among all. */
export const SITUATIONS: readonly Situation[] = [
  { id: "json.hang", stream: false, leave: BEFORE, steps: chain({ step: "hang" }) },
  {
    id: "json.slow_answer",
    randomOnly: true,
    stream: false,
    leave: BEFORE,
    steps: chain({ step: "ok", delayMs: 4_000 }),
  },
  {
    id: "json.slow_failure",
    stream: false,
    leave: BEFORE,
    steps: chain({ step: "server_error", delayMs: 1_000 }),
  },
  { id: "stream.hang", stream: true, leave: BEFORE, steps: chain({ step: "headers_then_hang" }) },
  {
    id: "stream.slow_failure",
    stream: true,
    leave: BEFORE,
    steps: chain({ step: "overloaded", delayMs: 1_000 }),
  },
  { id: "stream.after_headers", stream: true, leave: { at: "after_headers" }, steps: chain(slowStream) },
  {
    id: "stream.after_first_event",
    stream: true,
    leave: { at: "after_first_event" },
    steps: chain(slowStream),
  },
  {
    id: "stream.stall_after_first_event",
    randomOnly: true,
    stream: true,
    leave: { at: "after_first_event" },
    steps: chain({ step: "stall", afterChunks: 2, stallMs: 10_000, resume: false }),
  },
  {
    // Between attempts: a gateway that waits out a Retry-After before its next attempt must stop waiting.
    id: "json.retry_after_wait",
    stream: false,
    leave: { at: "before_response", trigger: "answered" },
    steps: (n) => Array.from({ length: n }, () => ({ step: "rate_limit", retryAfterS: 1 })),
  },
];

/** The case of one situation: its plan over the run's providers, its request, when its client leaves. */
export function caseOf(ctx: RunContext, s: Situation, text: string, delayMs: number): CaseSpec {
  const steps = s.steps(ctx.providers.length);
  return {
    property: "disconnect.client_leaves",
    condition: CONDITION,
    request: chatRequest(ctx.profile, ctx.target, { text, withMarker: true, stream: s.stream }),
    plan: { providers: Object.fromEntries(ctx.providers.map((n, i) => [n, [steps[i]!]])) },
    clientAbort: delayMs ? { ...s.leave, delayMs } : s.leave,
    note: s.id,
  };
}

const clientLeaves: Property = {
  id: "disconnect.client_leaves",
  suite: "disconnect",
  title: "when the client hangs up, the gateway closes its upstream attempt and starts no new one",
  needsMock: true,
  runs: (ctx) => Math.min(ctx.runs, 2),
  checks: ["DISC-001"],
  coverage: (ctx) =>
    SITUATIONS.filter((s) => !s.randomOnly).map((s) => caseOf(ctx, s, "Why is the sky blue?", 0)),
  arbitrary: (ctx) =>
    fc
      .tuple(prompt, fc.constantFrom(...SITUATIONS), fc.integer({ min: 0, max: 60 }))
      .map(([text, s, delayMs]) => caseOf(ctx, s, text, delayMs)),
};

export const disconnect: Suite = {
  id: "disconnect",
  title: "Disconnects: a client that hangs up mid-request",
  properties: [clientLeaves],
};
