// nock patches node:http and global fetch as soon as it is imported; msw gets its own file (vitest
// runs files in separate workers), so the two never patch the same process.
import nock from "nock";
import { fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { faultlineNock } from "../mocks/nock/index.ts";
import { type MockServer, startMock } from "../mocks/server.ts";
import { CHAT, chatBody, type FetchLike, observe, playCases } from "./helpers/adapter-cases.ts";
import {
  abortAfterFirstChunk,
  abortWhileHanging,
  expectClosedAfter,
  HANG,
  STALL_AFTER_FIRST,
} from "./helpers/client-close.ts";

const BASE = "https://mock.faultline.test";
let mock: MockServer;
let adapter: ReturnType<typeof faultlineNock>;

beforeAll(async () => {
  mock = await startMock();
  adapter = faultlineNock({ engine: mock.engine, baseUrl: BASE });
});

afterAll(async () => {
  adapter?.done();
  nock.cleanAll();
  nock.restore();
  await mock?.close();
});

describe("nock adapter", () => {
  it("gives the same outcomes as the socket server for the same plans", async () => {
    // undici's own fetch is not patched by nock, so it reaches the real socket.
    const [real, inproc] = await Promise.all([
      playCases(mock.engine, undiciFetch as unknown as FetchLike, mock.url),
      playCases(mock.engine, fetch, BASE),
    ]);
    expect(inproc).toEqual(real);
    expect(real["rate_limit 429 with retry-after"]).toEqual([
      expect.objectContaining({ status: 429, retryAfter: "2", errorCode: "rate_limit_exceeded" }),
    ]);
    expect(real["stream reassembled"]).toEqual([
      expect.objectContaining({ status: 200, text: "Hello from alpha.", done: true, broken: false }),
    ]);
    expect(real.stream_error![0]).toMatchObject({ text: "Hello ", errorEvent: true, done: false });
    expect(real.stream_cut![0]).toMatchObject({ text: "Hello ", broken: true, done: false });
    expect(real["reset → fetch rejects"]).toEqual([{ kind: "error" }]);
  });

  it("rejects a reset with Node's ECONNRESET, as replyWithError({code}) would", async () => {
    const plan = mock.engine.addPlan({ providers: { alpha: ["reset"] } });
    const err = await fetch(BASE + CHAT, {
      method: "POST",
      body: chatBody(plan.marker),
      signal: AbortSignal.timeout(5_000),
    }).catch((e: unknown) => e as Error & { code?: string; cause?: { code?: string } });
    expect(err).toBeInstanceOf(Error);
    expect((err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code).toBe(
      "ECONNRESET",
    );
    expect(mock.engine.journal.query({ planId: plan.id })[0]).toMatchObject({ outcome: "fault" });
  });

  it("keeps plans apart by marker and journals every attempt in the shared engine", async () => {
    const a = mock.engine.addPlan({ providers: { alpha: ["rate_limit", "ok"] } });
    const b = mock.engine.addPlan({ providers: { alpha: ["server_error"] } });
    const first = await Promise.all([
      observe(fetch, BASE + CHAT, a.marker),
      observe(fetch, BASE + CHAT, b.marker),
    ]);
    const second = await Promise.all([
      observe(fetch, BASE + CHAT, a.marker),
      observe(fetch, BASE + CHAT, b.marker),
    ]);
    expect([...first, ...second].map((o) => (o.kind === "response" ? o.status : 0))).toEqual([
      429, 500, 200, 500,
    ]);
    const journal = mock.engine.journal.query({ planId: a.id });
    expect(journal.map((e) => [e.attempt, e.step.step, e.status, e.outcome])).toEqual([
      [1, "rate_limit", 429, "answered"],
      [2, "ok", 200, "answered"],
    ]);
    // The raw body reaches the journal (not nock's parsed copy), secrets redacted.
    expect(journal[0]!.body).toBe(chatBody(a.marker));
    expect(journal[0]!.headers.authorization).toMatch(/^Bearer \[redacted sha256:[0-9a-f]{8}\]$/);
  });

  it("answers the control API in-process", async () => {
    const created = await fetch(`${BASE}/_faultline/plans`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ providers: { beta: ["overloaded"] } }),
      signal: AbortSignal.timeout(5_000),
    });
    expect(created.status).toBe(201);
    const { marker } = (await created.json()) as { marker: string };
    const res = await fetch(`${BASE}/beta/v1/chat/completions`, {
      method: "POST",
      body: chatBody(marker),
      signal: AbortSignal.timeout(5_000),
    });
    expect(res.status).toBe(503);
  });

  it("waits out delays on timers and lets the caller abort a hang", async () => {
    const slow = mock.engine.addPlan({ providers: { alpha: [{ step: "ok", delayMs: 60 }] } });
    const t0 = performance.now();
    expect(await observe(fetch, BASE + CHAT, slow.marker)).toMatchObject({ status: 200 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(55);

    const hung = mock.engine.addPlan({ providers: { alpha: ["hang"] } });
    const t1 = performance.now();
    await expect(
      fetch(BASE + CHAT, { method: "POST", body: chatBody(hung.marker), signal: AbortSignal.timeout(80) }),
    ).rejects.toThrow();
    expect(performance.now() - t1).toBeLessThan(1_000);
  });
  it("journals when the caller closed a stream; a hang it cannot see ends as a fault on done()", async () => {
    const stalled = mock.engine.addPlan(STALL_AFTER_FIRST);
    const midStream = await abortAfterFirstChunk(fetch, BASE, stalled.marker);
    expect((await expectClosedAfter(mock.engine, stalled.id, midStream)).status).toBe(200);
    // nock gives a reply function no abort signal: the hang goes on after the caller left, until done().
    const own = faultlineNock({ engine: mock.engine, baseUrl: "https://own.faultline.test" });
    try {
      const hung = mock.engine.addPlan(HANG);
      await abortWhileHanging(fetch, "https://own.faultline.test", hung.marker, 50);
      expect(mock.engine.journal.query({ planId: hung.id })[0]?.outcome).toBeUndefined();
      own.done();
      await expect.poll(() => mock.engine.journal.query({ planId: hung.id })[0]?.outcome).toBe("fault");
      expect(mock.engine.journal.query({ planId: hung.id })[0]?.closedAt).toBeUndefined();
    } finally {
      own.done();
    }
  });
});
