// When the gateway closed each upstream connection (docs/mock.md, "Journal"): the journal's closedAt
// and endedAt, seen through a real socket. The msw and nock adapters run the same cases in their own
// files (test/adapters-msw.test.ts, test/adapters-nock.test.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MockServer, startMock } from "../mocks/server.ts";
import { CHAT, chatBody } from "./helpers/adapter-cases.ts";
import {
  abortAfterFirstChunk,
  abortWhileHanging,
  expectClosedAfter,
  HANG,
  STALL_AFTER_FIRST,
} from "./helpers/client-close.ts";

let mock: MockServer;
beforeAll(async () => {
  mock = await startMock();
});
afterAll(() => mock.close());

describe("the journal records when the client closed", () => {
  it("a client that aborts after the first chunk of a stream", async () => {
    const plan = mock.engine.addPlan(STALL_AFTER_FIRST);
    const abortedAt = await abortAfterFirstChunk(fetch, mock.url, plan.marker);
    const entry = await expectClosedAfter(mock.engine, plan.id, abortedAt);
    expect(entry.status).toBe(200);
  });

  it("a client that aborts while the mock hangs", async () => {
    const plan = mock.engine.addPlan(HANG);
    const abortedAt = await abortWhileHanging(fetch, mock.url, plan.marker, 100);
    const entry = await expectClosedAfter(mock.engine, plan.id, abortedAt);
    expect(entry.status).toBeUndefined();
  });

  it("a client that aborts after the headers, while the mock sends nothing more", async () => {
    const plan = mock.engine.addPlan({ providers: { alpha: ["headers_then_hang"] } });
    const ac = new AbortController();
    const res = await fetch(mock.url + CHAT, {
      method: "POST",
      body: chatBody(plan.marker, true),
      signal: ac.signal,
    });
    expect(res.status).toBe(200);
    const abortedAt = Date.now();
    ac.abort();
    await expectClosedAfter(mock.engine, plan.id, abortedAt);
  });

  it("a client that aborts during a delay before the answer", async () => {
    const plan = mock.engine.addPlan({ providers: { alpha: [{ step: "ok", delayMs: 60_000 }] } });
    const abortedAt = await abortWhileHanging(fetch, mock.url, plan.marker, 50);
    await expectClosedAfter(mock.engine, plan.id, abortedAt);
  });

  it("an answer the mock finished has endedAt and no closedAt, faults included", async () => {
    const plan = mock.engine.addPlan({ providers: { alpha: ["ok", "reset", "stream_cut"] } });
    const before = Date.now();
    const ok = await fetch(mock.url + CHAT, {
      method: "POST",
      body: chatBody(plan.marker),
      signal: AbortSignal.timeout(5_000),
    });
    await ok.text();
    await fetch(mock.url + CHAT, {
      method: "POST",
      body: chatBody(plan.marker),
      signal: AbortSignal.timeout(5_000),
    }).catch(() => undefined);
    const cut = await fetch(mock.url + CHAT, {
      method: "POST",
      body: chatBody(plan.marker, true),
      signal: AbortSignal.timeout(5_000),
    });
    await cut.text().catch(() => undefined);
    await expect.poll(() => mock.engine.journal.query({ planId: plan.id }).length).toBe(3);
    await expect
      .poll(() => mock.engine.journal.query({ planId: plan.id }).every((e) => e.outcome !== undefined))
      .toBe(true);
    const entries = mock.engine.journal.query({ planId: plan.id });
    expect(entries.map((e) => e.outcome)).toEqual(["answered", "fault", "fault"]);
    for (const e of entries) {
      expect(e.closedAt).toBeUndefined();
      expect(e.endedAt).toBeGreaterThanOrEqual(before);
      expect(e.endedAt).toBeGreaterThanOrEqual(e.receivedAt);
      expect(e.answeredAt).toBe(e.endedAt);
    }
  });
});
