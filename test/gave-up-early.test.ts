import { describe, expect, it } from "vitest";
import type { JournalEntry } from "../mocks/journal.ts";
import { targetSkipped } from "../suites/harness/case-run.ts";
import type { CaseSpec, Exchange } from "../suites/harness/types.ts";

// A gateway that closes an attempt before the mock's immediate answer never saw the case's condition: the
// case is retried once and then inconclusive, never the gateway's failure (docs/contract.md §27).
const entry = (provider: string, step: Record<string, unknown>, closedAt?: number): JournalEntry =>
  ({
    seq: 1,
    provider,
    step,
    receivedAt: 1,
    closedAt,
    outcome: closedAt ? "client_closed" : "answered",
  }) as JournalEntry;

const spec = (alpha: unknown, stream = false): CaseSpec => ({
  property: "upstream.non_retryable",
  condition: "upstream.non_retryable",
  request: { method: "POST", path: "/v1/chat/completions", headers: {}, body: JSON.stringify({ stream }) },
  plan: { providers: { alpha: [alpha], beta: ["ok"] } },
});

const exchange = (journal: JournalEntry[]): Exchange => ({ status: 400, journal }) as unknown as Exchange;

describe("a case whose provider the gateway gave up on before the mock answered", () => {
  it("is not judged when the step answers at once", () => {
    const skip = targetSkipped(
      spec("content_policy"),
      exchange([entry("alpha", { step: "content_policy" }, 5)]),
      ["alpha", "beta"],
    );
    expect(skip?.first).toBe(true);
    expect(skip?.reason).toMatch(/gave up on alpha before the mock's prompt answer/);
  });

  it("is judged when the gateway read the answer (no closedAt)", () => {
    expect(
      targetSkipped(spec("content_policy"), exchange([entry("alpha", { step: "content_policy" })]), [
        "alpha",
        "beta",
      ]),
    ).toBeUndefined();
  });

  it("is judged when the step is slow on purpose: timing it out is the gateway's call", () => {
    for (const step of [
      "hang",
      { step: "latency", dist: "fixed", ms: 40 },
      { step: "server_error", delayMs: 5000 },
    ])
      expect(
        targetSkipped(spec(step), exchange([entry("alpha", { step: "x" }, 5)]), ["alpha", "beta"]),
        JSON.stringify(step),
      ).toBeUndefined();
  });

  it("reads a stream's role: a stall breaks a stream, and is the gateway's to time out", () => {
    expect(
      targetSkipped(spec("stall", true), exchange([entry("alpha", { step: "stall" }, 5)]), ["alpha", "beta"]),
    ).toBeUndefined();
  });
});
