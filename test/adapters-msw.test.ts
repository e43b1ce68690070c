// msw patches global fetch; nock gets its own file (vitest runs files in separate workers), so the two
// never patch the same process.
import { setupServer } from "msw/node";
import { fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { faultlineHandlers } from "../mocks/msw/index.ts";
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
let msw: ReturnType<typeof setupServer>;

beforeAll(async () => {
  mock = await startMock();
  // The adapter shares the socket server's engine: one set of plans, one journal.
  const { handlers } = faultlineHandlers({ engine: mock.engine, baseUrl: BASE });
  msw = setupServer(...handlers);
  msw.listen({ onUnhandledRequest: "error" });
});

afterAll(async () => {
  msw?.resetHandlers();
  msw?.close();
  await mock?.close();
});

describe("msw adapter", () => {
  it("gives the same outcomes as the socket server for the same plans", async () => {
    // undici's own fetch is not patched by msw, so it reaches the real socket.
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
    expect(real.stream_error![0]).toMatchObject({ errorEvent: true, done: false });
    expect(real.stream_cut![0]).toMatchObject({ text: "Hello ", broken: true, done: false });
    expect(real.close_clean![0]).toMatchObject({ text: "Hello ", broken: false, done: false });
    expect(real["reset → fetch rejects"]).toEqual([{ kind: "error" }]);
    expect(real["fail twice then succeed"]!.map((o) => (o.kind === "response" ? o.status : 0))).toEqual([
      500, 503, 200,
    ]);
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
    expect(journal[0]!.headers.authorization).toMatch(/^Bearer \[redacted sha256:[0-9a-f]{8}\]$/);
  });

  it("finds the plan by the x-faultline-plan header too", async () => {
    const plan = mock.engine.addPlan({ providers: { alpha: ["not_found"] } });
    const res = await fetch(BASE + CHAT, {
      method: "POST",
      headers: { "x-faultline-plan": plan.id, "content-type": "application/json" },
      body: chatBody("no marker here"),
      signal: AbortSignal.timeout(5_000),
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("model_not_found");
  });

  it("answers the control API in-process", async () => {
    const created = await fetch(`${BASE}/_faultline/plans`, {
      method: "POST",
      body: JSON.stringify({ providers: { beta: ["overloaded"] } }),
      signal: AbortSignal.timeout(5_000),
    });
    expect(created.status).toBe(201);
    const { marker, id } = (await created.json()) as { marker: string; id: string };
    const res = await fetch(`${BASE}/beta/v1/chat/completions`, {
      method: "POST",
      body: chatBody(marker),
      signal: AbortSignal.timeout(5_000),
    });
    expect(res.status).toBe(503);
    const journal = await fetch(`${BASE}/_faultline/plans/${id}/journal`, {
      signal: AbortSignal.timeout(5_000),
    });
    expect(((await journal.json()) as { entries: unknown[] }).entries).toHaveLength(1);
  });

  it("waits out delays on timers and ends a hang when the caller aborts", async () => {
    const slow = mock.engine.addPlan({ providers: { alpha: [{ step: "ok", delayMs: 60 }] } });
    const t0 = performance.now();
    const ok = await observe(fetch, BASE + CHAT, slow.marker);
    expect(ok).toMatchObject({ status: 200 });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(55);

    const hung = mock.engine.addPlan({ providers: { alpha: ["hang"] } });
    const t1 = performance.now();
    await expect(
      fetch(BASE + CHAT, { method: "POST", body: chatBody(hung.marker), signal: AbortSignal.timeout(80) }),
    ).rejects.toThrow();
    expect(performance.now() - t1).toBeLessThan(1_000);
    await expect.poll(() => mock.engine.journal.query({ planId: hung.id })[0]?.outcome).toBe("client_closed");
  });

  it("answers an unknown provider with the server's JSON 404", async () => {
    const res = await fetch(`${BASE}/nope/v1/chat/completions`, {
      method: "POST",
      signal: AbortSignal.timeout(5_000),
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain(
      "alpha, beta, gamma",
    );
  });
  it("journals when the caller closed: mid-stream and during a hang", async () => {
    const stalled = mock.engine.addPlan(STALL_AFTER_FIRST);
    const midStream = await abortAfterFirstChunk(fetch, BASE, stalled.marker);
    expect((await expectClosedAfter(mock.engine, stalled.id, midStream)).status).toBe(200);
    const hung = mock.engine.addPlan(HANG);
    const hanging = await abortWhileHanging(fetch, BASE, hung.marker, 100);
    await expectClosedAfter(mock.engine, hung.id, hanging);
  });
});
