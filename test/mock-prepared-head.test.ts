// A whole answer delayed by at most PREPARE_MAX_MS has its head made ready on arrival (mocks/player.ts,
// ReplySink.prepareWhole), so the timer's work is only the body's write. Nothing of it may show: no byte
// before the delay ends, the same head as an answer made ready at the end of its delay, a content-length
// that counts bytes, and a client that leaves during the delay recorded as before.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PREPARE_MAX_MS } from "../mocks/player.ts";
import { type MockServer, startMock } from "../mocks/server.ts";
import { CHAT, chatBody } from "./helpers/adapter-cases.ts";
import { expectClosedAfter } from "./helpers/client-close.ts";
import { rawPost, shape } from "./helpers/raw-http.ts";

let mock: MockServer;
beforeAll(async () => {
  mock = await startMock();
});
afterAll(() => mock.close());

/** One request on a raw socket to the mock. */
const raw = (path: string, body: string) => rawPost(mock.url, path, body);

async function answer(step: Record<string, unknown>) {
  const plan = mock.engine.addPlan({ providers: { alpha: [step] } });
  return raw(CHAT, chatBody(plan.marker));
}

describe("a delayed whole answer whose head is made ready on arrival", () => {
  it("sends nothing before its delay, then the head an answer made ready after its delay has", async () => {
    const delayMs = 300;
    const prepared = await answer({ step: "ok", delayMs });
    // Past the limit, the head is made when the delay ends, as every answer's was before.
    const late = await answer({ step: "ok", delayMs: PREPARE_MAX_MS + 100 });
    const now = await answer({ step: "ok" });
    expect(prepared.firstByteMs).toBeGreaterThanOrEqual(delayMs - 1);
    expect(late.firstByteMs).toBeGreaterThanOrEqual(PREPARE_MAX_MS + 99);
    const [a, b, c] = [shape(prepared.text), shape(late.text), shape(now.text)];
    expect(a.status).toBe("HTTP/1.1 200 OK");
    expect(a.headers).toEqual(b.headers);
    expect(a.headers).toEqual(c.headers);
    expect(a.headers).toContain("date");
    expect(a.length).toBe(a.bodyBytes);
    expect(JSON.parse(a.body).object).toBe("chat.completion");
  }, 10_000);

  it("counts the bytes of a text that is not ASCII, and of an error answer", async () => {
    const text = "héllo — 🎉 ünïcödé";
    const ok = shape((await answer({ step: "ok", text, delayMs: 50 })).text);
    expect(ok.length).toBe(ok.bodyBytes);
    expect(JSON.parse(ok.body).choices[0].message.content).toBe(text);
    const limited = shape((await answer({ step: "rate_limit", delayMs: 50 })).text);
    expect(limited.status).toMatch(/^HTTP\/1\.1 429 /);
    expect(limited.length).toBe(limited.bodyBytes);
    expect(limited.headers).toContain("retry-after");
  });

  it("records a client that leaves during the delay, and answers the next request", async () => {
    const plan = mock.engine.addPlan({
      providers: { alpha: [{ step: "ok", delayMs: PREPARE_MAX_MS }, "ok"] },
    });
    // The client leaves once the mock has the request (its journal entry is there), inside the delay.
    const ac = new AbortController();
    const sent = fetch(mock.url + CHAT, { method: "POST", body: chatBody(plan.marker), signal: ac.signal });
    await expect.poll(() => mock.engine.journal.query({ planId: plan.id }).length).toBe(1);
    const abortedAt = Date.now();
    ac.abort();
    await expect(sent).rejects.toThrow();
    const entry = await expectClosedAfter(mock.engine, plan.id, abortedAt);
    expect(entry.outcome).toBe("client_closed");
    // Seen when the socket closed, not when the timer found it closed (timers never fire early).
    expect(entry.closedAt!).toBeLessThan(entry.receivedAt + PREPARE_MAX_MS);
    const next = shape((await raw(CHAT, chatBody(plan.marker))).text);
    expect(next.status).toBe("HTTP/1.1 200 OK");
    expect(next.length).toBe(next.bodyBytes);
  });
});
