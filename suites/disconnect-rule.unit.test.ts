import { describe, expect, it } from "vitest";
import type { JournalEntry } from "../mocks/journal.ts";
import { afterLeaving, settled } from "./disconnect-rule.ts";

const T = 1_000_000;
const left = { at: T, watchedUntil: T + 2_500 };

function entry(provider: string, e: Partial<JournalEntry>): JournalEntry {
  return {
    seq: 1,
    provider,
    dialect: "openai",
    attempt: 1,
    method: "POST",
    path: "/v1/chat/completions",
    query: "",
    headers: {},
    body: "",
    bodyTruncated: false,
    step: { step: "hang" },
    receivedAt: T - 100,
    ...e,
  };
}

describe("what the journal says once the client left (docs/contract.md §22)", () => {
  it("an attempt the gateway closed at once: judged, and it holds", () => {
    const a = afterLeaving([entry("alpha", { closedAt: T + 5, answeredAt: T + 5 })], left);
    expect(a.conclusive).toBe(true);
    expect(a.slow).toEqual([]);
    expect(a.late).toEqual([]);
  });

  it("an attempt closed after 1.5 s still holds; after 2.2 s, or never, it does not", () => {
    expect(afterLeaving([entry("alpha", { closedAt: T + 1_500 })], left).slow).toEqual([]);
    expect(afterLeaving([entry("alpha", { closedAt: T + 2_200 })], left).slow).toHaveLength(1);
    const open = afterLeaving([entry("alpha", {})], left);
    expect(open.slow.map((l) => l.how)).toEqual(["open"]);
  });

  it("a new attempt after the client left is late; one already on the wire is not", () => {
    const journal = [
      entry("alpha", { endedAt: T + 50, answeredAt: T + 50 }),
      entry("beta", { receivedAt: T + 120, closedAt: T + 130 }),
      entry("gamma", { receivedAt: T + 900, endedAt: T + 905 }),
    ];
    const a = afterLeaving(journal, left);
    expect(a.late.map((l) => [l.entry.provider, l.afterMs])).toEqual([["gamma", 900]]);
    expect(a.conclusive).toBe(true);
  });

  it("cannot tell when every attempt ended before the client left, or finished on its own in time", () => {
    expect(afterLeaving([entry("alpha", { endedAt: T - 10, answeredAt: T - 10 })], left).conclusive).toBe(
      false,
    );
    const own = afterLeaving([entry("alpha", { endedAt: T + 800, answeredAt: T + 800 })], left);
    expect(own.conclusive).toBe(false);
    expect(own.finished).toHaveLength(1);
    // Finished on its own, but only after 3 s: the gateway kept it that long.
    expect(afterLeaving([entry("alpha", { endedAt: T + 3_000 })], left).slow).toHaveLength(1);
  });

  it("stops watching once every attempt ended and nothing arrived for the quiet time, or at the end of the watch", () => {
    const closed = [entry("alpha", { closedAt: T + 5, answeredAt: T + 5 })];
    expect(settled(closed, T, T + 300)).toBe(false);
    expect(settled(closed, T, T + 520)).toBe(true);
    expect(settled([entry("alpha", {})], T, T + 2_000)).toBe(false);
    expect(settled([entry("alpha", {})], T, T + 2_500)).toBe(true);
  });
});
