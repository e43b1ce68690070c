// Every step the mock knows, observed on the wire through a real socket. The table is keyed by step id
// and the suite walks stepIds(), so registering a step without a wire test here fails this file.
import { type IncomingHttpHeaders, request } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MockServer, startMock } from "../mocks/server.ts";
import { stepIds } from "../mocks/steps.ts";
import { untag } from "./helpers/completion-tag.ts";

const CHAT = "/alpha/v1/chat/completions";

interface Wire {
  status?: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** Milliseconds from sending to the response head, and to each body read. */
  headAtMs?: number;
  dataAtMs: number[];
  /** `end`: the body ended cleanly; `error`: the connection broke; `timeout`: our own deadline fired. */
  outcome: "end" | "error" | "timeout";
  error?: NodeJS.ErrnoException;
  elapsedMs: number;
}

let mock: MockServer;
beforeAll(async () => {
  mock = await startMock();
});
afterAll(() => mock.close());

async function planFor(spec: unknown): Promise<string> {
  const res = await fetch(`${mock.url}/_faultline/plans`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ providers: { alpha: [spec] } }),
    signal: AbortSignal.timeout(2_000),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

function chatBody(stream: boolean): string {
  return JSON.stringify({ model: "gpt-4o-mini", stream, messages: [{ role: "user", content: "hi" }] });
}

/** One request on its own connection, with node:http so socket errors keep their `code`. */
function send(planId: string, opts: { stream?: boolean; deadlineMs?: number } = {}): Promise<Wire> {
  const started = performance.now();
  const since = () => performance.now() - started;
  return new Promise((resolve) => {
    const w: Wire = { headers: {}, body: "", dataAtMs: [], outcome: "end", elapsedMs: 0 };
    let settled = false;
    const settle = (outcome: Wire["outcome"], error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      Object.assign(w, { outcome, error, elapsedMs: since() });
      req.destroy();
      resolve(w);
    };
    const body = chatBody(opts.stream ?? false);
    const req = request(`${mock.url}${CHAT}`, {
      method: "POST",
      agent: false,
      headers: {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
        "x-faultline-plan": planId,
      },
    });
    const deadline = setTimeout(() => settle("timeout"), opts.deadlineMs ?? 3_000);
    req.on("error", (e) => settle("error", e));
    req.on("response", (res) => {
      Object.assign(w, { status: res.statusCode, headers: res.headers, headAtMs: since() });
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        w.body += d;
        w.dataAtMs.push(since());
      });
      res.on("error", (e) => settle("error", e));
      res.on("end", () => settle("end"));
      res.on("close", () => settle(res.complete ? "end" : "error"));
    });
    req.end(body);
  });
}

/** The raw bytes a plain TCP client gets, and whether the server closed with FIN (`end`) or RST. */
function rawTcp(planId: string): Promise<{ bytes: number; outcome: "end" | "error"; code?: string }> {
  const body = chatBody(false);
  const { port } = new URL(mock.url);
  return new Promise((resolve, reject) => {
    let bytes = 0;
    let code: string | undefined;
    const socket = connect(Number(port), "127.0.0.1");
    socket.setTimeout(3_000, () => socket.destroy(new Error("raw tcp deadline")));
    socket.on("data", (d) => {
      bytes += d.length;
    });
    socket.on("error", (e: NodeJS.ErrnoException) => {
      code = e.code;
      if (!e.code) reject(e);
    });
    socket.on("close", () => resolve({ bytes, outcome: code ? "error" : "end", code }));
    socket.write(
      `POST ${CHAT} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nx-faultline-plan: ${planId}\r\n\r\n${body}`,
    );
  });
}

/** The `data:` payloads of an SSE body. */
function events(body: string): string[] {
  return body
    .split("\n\n")
    .filter((e) => e.startsWith("data: "))
    .map((e) => e.slice(6));
}

function errorBody(w: Wire): { message: string; type: string; code: string | null; param: string | null } {
  expect(w.headers["content-type"]).toMatch(/^application\/json/);
  const e = (JSON.parse(w.body) as { error: { message: string; type: string; code: string | null } }).error;
  expect(e.message).toEqual(expect.any(String));
  expect(e.message.length).toBeGreaterThan(0);
  return e as ReturnType<typeof errorBody>;
}

interface Case {
  name: string;
  spec: unknown;
  stream?: boolean;
  deadlineMs?: number;
  check(w: Wire, planId: string): void | Promise<void>;
}

function preset(step: string, status: number, code: string | null): Case {
  return {
    name: `${status} ${code ?? ""}`.trim(),
    spec: step,
    check(w) {
      expect(w.status).toBe(status);
      expect(errorBody(w).code).toBe(code);
      expect(w.headers["x-request-id"]).toMatch(/^req_/);
    },
  };
}

const completion = (w: Wire) => {
  expect(w.status).toBe(200);
  return (JSON.parse(w.body) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message
    .content;
};

const WIRE: Record<string, Case[]> = {
  ok: [
    {
      name: "JSON completion",
      spec: "ok",
      check: (w) => expect(untag(completion(w))).toBe("Hello from alpha."),
    },
    {
      name: "stream ends with [DONE]",
      spec: { step: "ok", text: "one two three" },
      stream: true,
      check(w) {
        expect(w.headers["content-type"]).toMatch(/^text\/event-stream/);
        expect(events(w.body).at(-1)).toBe("[DONE]");
      },
    },
    {
      name: "with a latency object",
      spec: { step: "ok", latency: { dist: "fixed", ms: 80 } },
      check(w) {
        expect(untag(completion(w))).toBe("Hello from alpha.");
        expect(w.headAtMs).toBeGreaterThanOrEqual(78);
      },
    },
  ],
  latency: [
    {
      name: "fixed",
      spec: { step: "latency", dist: "fixed", ms: 80 },
      check(w) {
        expect(untag(completion(w))).toBe("Hello from alpha.");
        expect(w.headAtMs).toBeGreaterThanOrEqual(78);
      },
    },
    {
      name: "uniform",
      spec: { step: "latency", dist: "uniform", minMs: 60, maxMs: 90 },
      check(w) {
        expect(untag(completion(w))).toBe("Hello from alpha.");
        expect(w.headAtMs).toBeGreaterThanOrEqual(58);
      },
    },
    {
      // sigma 0 makes every draw the median; the spread and the cap are tested in mock-timing.test.ts.
      name: "lognormal",
      spec: { step: "latency", dist: "lognormal", medianMs: 80, sigma: 0, capMs: 1000 },
      check(w) {
        expect(untag(completion(w))).toBe("Hello from alpha.");
        expect(w.headAtMs).toBeGreaterThanOrEqual(78);
        expect(w.headAtMs).toBeLessThan(500);
      },
    },
  ],
  rate_limit: [
    {
      name: "429, Retry-After in seconds by default",
      spec: { step: "rate_limit", retryAfterS: 3 },
      check(w) {
        expect(w.status).toBe(429);
        expect(errorBody(w).code).toBe("rate_limit_exceeded");
        expect(w.headers["retry-after"]).toBe("3");
        expect(w.headers["x-ratelimit-remaining-requests"]).toBe("0");
      },
    },
    {
      name: "429, Retry-After as an HTTP-date",
      spec: { step: "rate_limit", retryAfter: "http-date", retryAfterS: 30 },
      check(w) {
        expect(w.status).toBe(429);
        const at = Date.parse(w.headers["retry-after"] ?? "");
        expect(w.headers["retry-after"]).toMatch(/GMT$/);
        expect(at).toBeGreaterThan(Date.now() + 25_000);
        expect(at).toBeLessThan(Date.now() + 35_000);
      },
    },
    {
      name: "429 without Retry-After",
      spec: { step: "rate_limit", retryAfter: "none" },
      check(w) {
        expect(w.status).toBe(429);
        expect(w.headers["retry-after"]).toBeUndefined();
      },
    },
    {
      // openai-node src/client.ts: retry-after-ms is read before retry-after.
      name: "429 with retry-after-ms",
      spec: { step: "rate_limit", retryAfterS: 2, retryAfterMs: 1500 },
      check(w) {
        expect(w.headers["retry-after-ms"]).toBe("1500");
        expect(w.headers["retry-after"]).toBe("2");
      },
    },
    {
      name: "429 insufficient_quota",
      spec: { step: "rate_limit", variant: "insufficient_quota" },
      check(w) {
        expect(w.status).toBe(429);
        expect(errorBody(w)).toMatchObject({ type: "insufficient_quota", code: "insufficient_quota" });
      },
    },
  ],
  quota_exhausted: [
    {
      name: "429 insufficient_quota without Retry-After; shouldRetry sends x-should-retry",
      spec: { step: "quota_exhausted", shouldRetry: false },
      check(w) {
        expect(w.status).toBe(429);
        expect(errorBody(w)).toMatchObject({ type: "insufficient_quota", code: "insufficient_quota" });
        expect(w.headers["retry-after"]).toBeUndefined();
        expect(w.headers["x-should-retry"]).toBe("false");
      },
    },
  ],
  prompt_blocked: [
    {
      name: "200 whose only choice has finish_reason content_filter and no content",
      spec: "prompt_blocked",
      check(w) {
        expect(w.status).toBe(200);
        const body = JSON.parse(w.body) as { choices: Array<Record<string, unknown>> };
        expect(body.choices).toEqual([expect.objectContaining({ finish_reason: "content_filter" })]);
        expect(body.choices[0]!.message).toMatchObject({ content: null });
      },
    },
  ],
  server_error: [preset("server_error", 500, null)],
  bad_gateway: [preset("bad_gateway", 502, null)],
  unavailable: [
    preset("unavailable", 503, null),
    {
      name: "503 with Retry-After when asked",
      spec: { step: "unavailable", retryAfter: "seconds", retryAfterS: 5 },
      check(w) {
        expect(w.status).toBe(503);
        expect(w.headers["retry-after"]).toBe("5");
      },
    },
  ],
  gateway_timeout: [preset("gateway_timeout", 504, null)],
  // OpenAI has no 529: its overloaded answer is a 503.
  overloaded: [preset("overloaded", 503, null)],
  content_policy: [preset("content_policy", 400, "content_policy_violation")],
  context_length: [preset("context_length", 400, "context_length_exceeded")],
  auth: [preset("auth", 401, "invalid_api_key")],
  permission: [preset("permission", 403, "unsupported_country_region_territory")],
  not_found: [preset("not_found", 404, "model_not_found")],
  status: [
    {
      name: "raw status and body",
      spec: { step: "status", status: 418, body: '{"teapot":true}' },
      check(w) {
        expect(w.status).toBe(418);
        expect(JSON.parse(w.body)).toEqual({ teapot: true });
      },
    },
  ],
  hang: [
    {
      name: "no answer: the client's own timeout fires, and the mock lets go",
      spec: "hang",
      deadlineMs: 150,
      async check(w, planId) {
        expect(w.outcome).toBe("timeout");
        expect(w.status).toBeUndefined();
        expect(w.elapsedMs).toBeGreaterThanOrEqual(149);
        await expect.poll(() => mock.engine.journal.query({ planId })[0]?.outcome).toBe("client_closed");
      },
    },
  ],
  headers_then_hang: [
    {
      name: "200 and headers arrive, then nothing until the client's timeout",
      spec: "headers_then_hang",
      stream: true,
      // The headers come at once; the margin to the deadline absorbs a busy CI machine.
      deadlineMs: 800,
      check(w) {
        expect(w.status).toBe(200);
        expect(w.headers["content-type"]).toMatch(/^text\/event-stream/);
        expect(w.headAtMs).toBeLessThan(600);
        expect(w.body).toBe("");
        expect(w.outcome).toBe("timeout");
      },
    },
  ],
  reset: [
    {
      name: "node:http sees ECONNRESET",
      spec: "reset",
      check(w) {
        expect(w.outcome).toBe("error");
        expect(w.error?.code).toBe("ECONNRESET");
        expect(w.error?.message).toBe("read ECONNRESET");
        expect(w.status).toBeUndefined();
      },
    },
    {
      name: "a TCP client sees RST, not FIN",
      spec: "reset",
      // The plan's last step repeats, so the second attempt (over raw TCP) is a reset too.
      async check(_w, planId) {
        const raw = await rawTcp(planId);
        expect(raw).toEqual({ bytes: 0, outcome: "error", code: "ECONNRESET" });
      },
    },
  ],
  empty: [
    {
      name: "node:http: socket hang up before any response",
      spec: "empty",
      check(w) {
        expect(w.outcome).toBe("error");
        expect(w.error?.message).toBe("socket hang up");
        expect(w.status).toBeUndefined();
      },
    },
    {
      name: "a TCP client sees a clean close with zero bytes",
      spec: "empty",
      async check(_w, planId) {
        expect(await rawTcp(planId)).toEqual({ bytes: 0, outcome: "end", code: undefined });
      },
    },
  ],
  garbage: [
    {
      name: "200 whose body is not JSON",
      spec: "garbage",
      check(w) {
        expect(w.status).toBe(200);
        expect(w.headers["content-type"]).toMatch(/^text\/html/);
        expect(() => JSON.parse(w.body)).toThrow();
      },
    },
  ],
  malformed_json: [
    {
      name: "200, JSON content-type, truncated JSON",
      spec: "malformed_json",
      check(w) {
        expect(w.status).toBe(200);
        expect(w.headers["content-type"]).toMatch(/^application\/json/);
        expect(w.body.startsWith('{"id":"chatcmpl-')).toBe(true);
        expect(() => JSON.parse(w.body)).toThrow();
      },
    },
  ],
  stream_cut: [
    {
      name: "N chunks, then a premature close without [DONE]",
      spec: { step: "stream_cut", afterChunks: 2 },
      stream: true,
      check(w) {
        expect(w.status).toBe(200);
        expect(w.outcome).toBe("error");
        expect(w.error?.code).toBe("ECONNRESET");
        expect(events(w.body)).toHaveLength(2);
        expect(w.body).not.toContain("[DONE]");
      },
    },
  ],
  stream_reset: [
    {
      name: "N chunks, then ECONNRESET, without [DONE]",
      spec: { step: "stream_reset", afterChunks: 2 },
      stream: true,
      check(w) {
        expect(w.status).toBe(200);
        expect(w.outcome).toBe("error");
        expect(w.error?.code).toBe("ECONNRESET");
        expect(w.body).not.toContain("[DONE]");
      },
    },
    {
      name: "a TCP client sees bytes, then RST (stream_cut closes with FIN instead)",
      spec: { step: "stream_reset", afterChunks: 2 },
      stream: true,
      async check(_w, planId) {
        const raw = await rawTcp(planId);
        expect(raw.bytes).toBeGreaterThan(0);
        expect(raw).toMatchObject({ outcome: "error", code: "ECONNRESET" });
      },
    },
  ],
  close_clean: [
    {
      name: "N chunks, then a clean end without [DONE]",
      spec: { step: "close_clean", afterChunks: 2 },
      stream: true,
      check(w) {
        expect(w.outcome).toBe("end");
        expect(w.error).toBeUndefined();
        expect(events(w.body)).toHaveLength(2);
        expect(w.body).not.toContain("[DONE]");
        expect(w.body).not.toContain('"finish_reason":"stop"');
      },
    },
  ],
  stream_error: [
    {
      name: "N chunks, then the error data line, and no [DONE]",
      spec: { step: "stream_error", afterChunks: 1, kind: "overloaded" },
      stream: true,
      check(w) {
        expect(w.outcome).toBe("end");
        const ev = events(w.body);
        expect(ev).toHaveLength(2);
        expect(JSON.parse(ev[1]!)).toMatchObject({
          error: { type: "server_error", message: expect.any(String) },
        });
        expect(w.body).not.toContain("[DONE]");
      },
    },
  ],
  slow_stream: [
    {
      name: "SSE events dribbled at chunkIntervalMs",
      spec: { step: "slow_stream", chunkIntervalMs: 40 },
      stream: true,
      check(w) {
        const n = events(w.body).length;
        expect(events(w.body).at(-1)).toBe("[DONE]");
        expect(w.dataAtMs.length).toBeGreaterThanOrEqual(n - 1);
        expect(w.elapsedMs).toBeGreaterThanOrEqual((n - 1) * 40 - 2);
      },
    },
    {
      name: "a JSON body dribbled in slices",
      spec: { step: "slow_stream", chunkIntervalMs: 25 },
      check(w) {
        expect(untag(completion(w))).toBe("Hello from alpha.");
        expect(w.dataAtMs.length).toBeGreaterThanOrEqual(4);
        expect(w.elapsedMs).toBeGreaterThanOrEqual(100);
      },
    },
  ],
  stall: [
    {
      name: "stalls after N chunks, then resumes to [DONE]",
      spec: { step: "stall", afterChunks: 2, stallMs: 150 },
      stream: true,
      check(w) {
        expect(w.outcome).toBe("end");
        expect(events(w.body).at(-1)).toBe("[DONE]");
        const gaps = w.dataAtMs.slice(1).map((t, i) => t - w.dataAtMs[i]!);
        expect(Math.max(...gaps)).toBeGreaterThanOrEqual(140);
      },
    },
    {
      name: "stalls, then ends cleanly without [DONE] when resume is false",
      spec: { step: "stall", afterChunks: 2, stallMs: 150, resume: false },
      stream: true,
      check(w) {
        expect(w.outcome).toBe("end");
        expect(events(w.body)).toHaveLength(2);
        expect(w.body).not.toContain("[DONE]");
        expect(w.elapsedMs - w.dataAtMs.at(-1)!).toBeGreaterThanOrEqual(140);
      },
    },
  ],
};

describe("every step on the wire (OpenAI dialect)", () => {
  for (const id of stepIds()) {
    describe(id, () => {
      const cases = WIRE[id];
      if (!cases) {
        it("has a wire test", () => expect.fail(`step "${id}" has no wire test in test/mock-faults.test.ts`));
        return;
      }
      for (const c of cases) {
        it(c.name, async () => {
          const planId = await planFor(c.spec);
          await c.check(await send(planId, { stream: c.stream, deadlineMs: c.deadlineMs }), planId);
        });
      }
    });
  }

  it("tests no step that is not registered", () => {
    expect(Object.keys(WIRE).filter((id) => !stepIds().includes(id))).toEqual([]);
  });
});
