import { expect } from "vitest";
import type { MockEngine } from "../../mocks/engine.ts";
import type { JournalEntry } from "../../mocks/journal.ts";
import { CHAT, chatBody, type FetchLike } from "./adapter-cases.ts";

/** A plan whose stream sends one chunk, then stays silent far longer than any test waits. */
export const STALL_AFTER_FIRST = {
  providers: { alpha: [{ step: "stall", afterChunks: 1, stallMs: 60_000 }] },
};
/** A plan whose provider never answers. */
export const HANG = { providers: { alpha: ["hang"] } };

/**
 * Streams a chat request, reads until the first chunk arrives, then aborts; answers when it aborted
 * (epoch ms, taken just before the abort) so the journal's closedAt can be held against it.
 */
export async function abortAfterFirstChunk(fetchFn: FetchLike, baseUrl: string, marker: string) {
  const ac = new AbortController();
  const deadline = setTimeout(() => ac.abort(new Error("test deadline")), 5_000);
  try {
    const res = await fetchFn(baseUrl + CHAT, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: chatBody(marker, true),
      signal: ac.signal,
    });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    const abortedAt = Date.now();
    ac.abort();
    await reader.read().catch(() => undefined);
    return abortedAt;
  } finally {
    clearTimeout(deadline);
  }
}

/** Sends a request the mock holds, and aborts it after `afterMs`; answers when it aborted (epoch ms). */
export async function abortWhileHanging(fetchFn: FetchLike, baseUrl: string, marker: string, afterMs = 100) {
  const ac = new AbortController();
  let abortedAt = 0;
  const timer = setTimeout(() => {
    abortedAt = Date.now();
    ac.abort();
  }, afterMs);
  const sent = Date.now();
  await expect(
    fetchFn(baseUrl + CHAT, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: chatBody(marker),
      signal: ac.signal,
    }),
  ).rejects.toThrow();
  clearTimeout(timer);
  expect(abortedAt).toBeGreaterThanOrEqual(sent);
  return abortedAt;
}

/**
 * The journal entry of a client that left: outcome client_closed, closedAt between the abort and now
 * (the close reaches the mock after the abort, and before we look), no endedAt.
 */
export async function expectClosedAfter(engine: MockEngine, planId: string, abortedAt: number) {
  await expect
    .poll(() => engine.journal.query({ planId })[0]?.outcome, { timeout: 5_000 })
    .toBe("client_closed");
  const seen = Date.now();
  const entry = engine.journal.query({ planId })[0] as JournalEntry;
  expect(entry.closedAt).toBeGreaterThanOrEqual(abortedAt);
  expect(entry.closedAt).toBeLessThanOrEqual(seen);
  expect(entry.closedAt).toBeGreaterThanOrEqual(entry.receivedAt);
  expect(entry.answeredAt).toBe(entry.closedAt);
  expect(entry.endedAt).toBeUndefined();
  return entry;
}
