import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadProfile } from "../core/profile/load.ts";
import { Profile } from "../core/profile/schema.ts";
import { fingerprint } from "../core/redact.ts";
import { GATEWAY_DEFAULTS, type Gateway, startGateway } from "../gateway/index.ts";
import { type MockServer, startMock } from "../mocks/server.ts";
import { MockClient } from "../suites/harness/mock-client.ts";
import { untag } from "./helpers/completion-tag.ts";

// The reference gateway in front of a real mock, both on port 0, as a user would wire them.
const profile = loadProfile("lumenfall");
const KEY = GATEWAY_DEFAULTS.apiKeys[0]!;
const MODEL = GATEWAY_DEFAULTS.models[0]!;
let mock: MockServer;
let gw: Gateway;
/** Short timeouts, for the tests where providers hang. */
let fast: Gateway;

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers by path; a wrong shape fails the assertion
  body: any;
  ms: number;
}

async function call(
  g: Gateway,
  o: {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: unknown;
    key?: string | null;
  } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { "content-type": "application/json", ...o.headers };
  if (o.key !== null) headers.authorization ??= `Bearer ${o.key ?? KEY}`;
  const t0 = Date.now();
  const res = await fetch(`${g.url}${o.path ?? "/v1/chat/completions"}`, {
    method: o.method ?? "POST",
    headers,
    body: o.body === undefined ? undefined : typeof o.body === "string" ? o.body : JSON.stringify(o.body),
    signal: AbortSignal.timeout(5_000),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, text, body, ms: Date.now() - t0 };
}

const chat = (marker = "", extra: Record<string, unknown> = {}) => ({
  model: MODEL,
  messages: [{ role: "user", content: `hello ${marker}` }],
  ...extra,
});

async function plan(providers: Record<string, unknown[]>): Promise<{ id: string; marker: string }> {
  return new MockClient(mock.url).addPlan({ providers });
}

async function journal(
  id: string,
): Promise<Array<{ provider: string; step: { step: string }; headers: Record<string, string> }>> {
  const res = await fetch(`${mock.url}/_faultline/plans/${id}/journal`, {
    signal: AbortSignal.timeout(2_000),
  });
  return ((await res.json()) as { entries: never[] }).entries;
}

/** The data of each SSE event, in order. */
function events(text: string): string[] {
  return text
    .split("\n\n")
    .filter((b) => b.startsWith("data: "))
    .map((b) => b.slice(6));
}

beforeAll(async () => {
  mock = await startMock();
  const upstreams = ["alpha", "beta", "gamma"].map((name) => ({ name, baseUrl: mock.providerUrl(name) }));
  gw = await startGateway({ profile, upstreams, attemptTimeoutMs: 1_500 });
  fast = await startGateway({ profile, upstreams, attemptTimeoutMs: 250, deadlineMs: 1_000 });
});
afterAll(async () => {
  await gw?.close();
  await fast?.close();
  await mock?.close();
});

describe("reference gateway: success", () => {
  it("answers the provider's completion under the requested model, with its own credential upstream", async () => {
    const p = await plan({ alpha: ["ok"] });
    const a = await call(gw, { body: chat(p.marker) });
    expect(a.status).toBe(200);
    expect(a.body.model).toBe(MODEL);
    expect(untag(a.body.choices[0].message.content)).toBe("Hello from alpha.");
    expect(a.headers.get("x-request-id")).toMatch(/^req_/);
    expect(a.headers.get("openai-version")).toBeNull();
    const [entry] = await journal(p.id);
    const upstreamKey = GATEWAY_DEFAULTS.upstreamKey("alpha");
    expect(entry!.headers.authorization).toBe(`Bearer [redacted sha256:${fingerprint(upstreamKey)}]`);
    expect(JSON.parse((entry as unknown as { body: string }).body).model).toBe(
      GATEWAY_DEFAULTS.upstreamModel,
    );
  });

  it("lists its models and gives every answer a unique request id", async () => {
    const a = await call(gw, { method: "GET", path: "/v1/models" });
    expect(a.body.data.map((m: { id: string }) => m.id)).toEqual([MODEL]);
    const ids = await Promise.all(
      [1, 2, 3].map(() => call(gw, { key: null }).then((r) => r.headers.get("x-request-id"))),
    );
    expect(new Set(ids).size).toBe(3);
  });
});

describe("reference gateway: conditions through the lumenfall profile", () => {
  const cases: Array<[string, Parameters<typeof call>[1], string, number]> = [
    ["auth.missing", { key: null, body: chat() }, "AUTHENTICATION_FAILED", 401],
    [
      "auth.malformed Token",
      { headers: { authorization: `Token ${KEY}` }, body: chat() },
      "AUTHENTICATION_FAILED",
      401,
    ],
    [
      "auth.malformed bare Bearer",
      { headers: { authorization: "Bearer" }, body: chat() },
      "AUTHENTICATION_FAILED",
      401,
    ],
    [
      "auth.malformed two spaces",
      { headers: { authorization: `Bearer  ${KEY}` }, body: chat() },
      "AUTHENTICATION_FAILED",
      401,
    ],
    ["auth.invalid", { key: "fl-nobody", body: chat() }, "AUTHENTICATION_FAILED", 401],
    ["malformed json", { body: '{"model": "faultline-chat",' }, "INVALID_REQUEST", 400],
    [
      "wrong content-type",
      { headers: { "content-type": "text/plain" }, body: chat() },
      "INVALID_REQUEST",
      400,
    ],
    ["empty body", { body: "" }, "INVALID_REQUEST", 400],
    ["temperature 3", { body: chat("", { temperature: 3 }) }, "INVALID_REQUEST", 400],
    ["max_tokens 0", { body: chat("", { max_tokens: 0 }) }, "INVALID_REQUEST", 400],
    ["no messages", { body: { model: MODEL, messages: [] } }, "INVALID_REQUEST", 400],
    [
      "bad role",
      { body: { model: MODEL, messages: [{ role: "robot", content: "x" }] } },
      "INVALID_REQUEST",
      400,
    ],
    ["model.unknown", { body: chat("", { model: "no-such-model" }) }, "MODEL_NOT_FOUND", 404],
    [
      "model.disabled",
      { body: chat("", { model: GATEWAY_DEFAULTS.disabledModels[0] }) },
      "MODEL_DISABLED",
      404,
    ],
    ["balance.insufficient", { key: GATEWAY_DEFAULTS.brokeKey, body: chat() }, "INSUFFICIENT_BALANCE", 402],
    ["rate.limited", { key: GATEWAY_DEFAULTS.limitedKey, body: chat() }, "RATE_LIMITED", 429],
  ];
  it.each(cases)("%s → %s %i", async (_name, req, code, status) => {
    const a = await call(gw, req);
    expect(a.status).toBe(status);
    expect(a.headers.get("content-type")).toBe(profile.contentType);
    expect(a.body.error.code).toBe(code);
    expect(a.body.error.type).toBe(profile.catalogue[code]!.type);
    expect(a.body.error.message).toMatch(/\S/);
    expect(a.headers.get("retry-after")).toBe(status === 429 ? "1" : null);
  });

  it("answers unknown routes 404 and wrong methods 405 with Allow, both JSON with a message", async () => {
    const nf = await call(gw, { method: "GET", path: "/v2/nothing" });
    expect(nf.status).toBe(404);
    expect(nf.body.error.message).toMatch(/\S/);
    const na = await call(gw, { method: "GET" });
    expect(na.status).toBe(405);
    expect(na.headers.get("allow")).toBe("POST");
    expect(na.body.error.message).toMatch(/\S/);
  });
});

describe("reference gateway: upstream failures", () => {
  it("fails over from a 429 to the next provider, and the journal shows both attempts", async () => {
    const p = await plan({ alpha: ["rate_limit"], beta: ["ok"] });
    const a = await call(gw, { body: chat(p.marker) });
    expect(a.status).toBe(200);
    expect(untag(a.body.choices[0].message.content)).toBe("Hello from beta.");
    expect((await journal(p.id)).map((e) => e.provider)).toEqual(["alpha", "beta"]);
  });

  it.each(["reset", "empty", "garbage", "malformed_json", "auth", "server_error"])(
    "treats %s as retryable",
    async (step) => {
      const p = await plan({ alpha: [step], beta: ["ok"] });
      const a = await call(gw, { body: chat(p.marker) });
      expect(a.status).toBe(200);
      expect(untag(a.body.choices[0].message.content)).toBe("Hello from beta.");
    },
  );

  it("answers 502 ALL_PROVIDERS_EXHAUSTED in its own words when every provider fails", async () => {
    const p = await plan({ alpha: ["rate_limit"], beta: ["server_error"], gamma: ["auth"] });
    const a = await call(gw, { body: chat(p.marker) });
    expect(a.status).toBe(502);
    expect(a.body.error.code).toBe("ALL_PROVIDERS_EXHAUSTED");
    expect(a.text).not.toMatch(/Rate limit reached|Incorrect API key|sk-upstream|127\.0\.0\.1/);
    expect((await journal(p.id)).length).toBe(3);
  });

  it("answers a content policy refusal as UPSTREAM_ERROR with the provider's status and tries nobody else", async () => {
    const p = await plan({ alpha: ["content_policy"], beta: ["ok"] });
    const a = await call(gw, { body: chat(p.marker) });
    expect(a.status).toBe(400);
    expect(a.body.error.code).toBe("UPSTREAM_ERROR");
    expect(a.text).not.toContain("safety system");
    expect((await journal(p.id)).map((e) => e.provider)).toEqual(["alpha"]);
  });

  it("gives up on a hung provider after the attempt timeout and fails over", async () => {
    const p = await plan({ alpha: ["hang"], beta: ["ok"] });
    const a = await call(fast, { body: chat(p.marker) });
    expect(a.status).toBe(200);
    expect(a.ms).toBeGreaterThanOrEqual(240);
    expect(untag(a.body.choices[0].message.content)).toBe("Hello from beta.");
  });

  it("answers exhaustion within its deadline when every provider hangs", async () => {
    const p = await plan({ alpha: ["hang"], beta: ["hang"], gamma: ["hang"] });
    const slow = await startGateway({
      profile,
      upstreams: ["alpha", "beta", "gamma"].map((name) => ({ name, baseUrl: mock.providerUrl(name) })),
      attemptTimeoutMs: 2_000,
      deadlineMs: 300,
    });
    try {
      const a = await call(slow, { body: chat(p.marker) });
      expect(a.status).toBe(502);
      // Well before one attempt's 2 s timeout; the margin over 300 ms is for a busy CI machine.
      expect(a.ms).toBeLessThan(1_500);
    } finally {
      await slow.close();
    }
  });
});

describe("reference gateway: streams", () => {
  it("relays a complete stream chunk by chunk and ends with [DONE]", async () => {
    const p = await plan({ alpha: ["ok"] });
    const a = await call(gw, { body: chat(p.marker, { stream: true }) });
    expect(a.status).toBe(200);
    expect(a.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const ev = events(a.text);
    expect(ev.at(-1)).toBe("[DONE]");
    const text = ev
      .slice(0, -1)
      .map((e) => JSON.parse(e).choices[0].delta.content ?? "")
      .join("");
    expect(untag(text)).toBe("Hello from alpha.");
    expect(JSON.parse(ev[0]!).model).toBe(MODEL);
  });

  it("fails over before the first byte", async () => {
    const p = await plan({ alpha: [{ step: "stream_error", afterChunks: 0 }], beta: ["ok"] });
    const a = await call(gw, { body: chat(p.marker, { stream: true }) });
    expect(events(a.text).at(-1)).toBe("[DONE]");
    expect((await journal(p.id)).map((e) => e.provider)).toEqual(["alpha", "beta"]);
  });

  it.each(["stream_cut", "stream_error", "close_clean"])(
    "ends a %s with an error event and no [DONE]",
    async (step) => {
      const p = await plan({ alpha: [{ step, afterChunks: 2 }], beta: ["ok"] });
      const a = await call(gw, { body: chat(p.marker, { stream: true }) });
      expect(a.status).toBe(200);
      const ev = events(a.text);
      expect(ev).not.toContain("[DONE]");
      const last = JSON.parse(ev.at(-1)!);
      expect(Object.keys(profile.catalogue)).toContain(last.error.code);
      expect((await journal(p.id)).map((e) => e.provider)).toEqual(["alpha"]);
    },
  );

  it("answers a stream that cannot start with a JSON error", async () => {
    const p = await plan({ alpha: ["unavailable"], beta: ["reset"], gamma: ["garbage"] });
    const a = await call(gw, { body: chat(p.marker, { stream: true }) });
    expect(a.status).toBe(502);
    expect(a.body.error.code).toBe("ALL_PROVIDERS_EXHAUSTED");
  });
});

describe("reference gateway: lifecycle", () => {
  it("stops asking the provider when the client goes away", async () => {
    const p = await plan({ alpha: ["hang"] });
    const patient = await startGateway({
      profile,
      upstreams: [{ name: "alpha", baseUrl: mock.providerUrl("alpha") }],
      attemptTimeoutMs: 5_000,
    });
    try {
      const gone = fetch(`${patient.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
        body: JSON.stringify(chat(p.marker)),
        signal: AbortSignal.timeout(200),
      });
      await expect(gone).rejects.toThrow();
      let outcome: unknown;
      for (let i = 0; i < 20 && outcome === undefined; i++) {
        await new Promise((r) => setTimeout(r, 50));
        outcome = ((await journal(p.id))[0] as { outcome?: string } | undefined)?.outcome;
      }
      expect(outcome).toBe("client_closed");
    } finally {
      await patient.close();
    }
  });

  it("closes promptly with a request in flight", async () => {
    const p = await plan({ alpha: ["hang"] });
    const g = await startGateway({
      profile,
      upstreams: [{ name: "alpha", baseUrl: mock.providerUrl("alpha") }],
      attemptTimeoutMs: 5_000,
    });
    const pending = call(g, { body: chat(p.marker) }).catch(() => "closed");
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await g.close();
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(await pending).toBe("closed");
  });
});

describe("reference gateway: any profile's envelope", () => {
  const source = "test";
  // Shaped like the meta-envelope seed (002): codes, paths and Retry-After statuses all differ from lumenfall.
  const meta = Profile.parse({
    name: "meta-test",
    envelope: {
      code: "error.code",
      message: "error.message",
      param: "error.details.field",
      fixed: { success: false },
      requestId: "meta.request_id",
      timestamp: "meta.timestamp",
      retryAfter: "error.retry_after",
    },
    catalogue: {
      MISSING_API_KEY: { status: 401, source },
      INVALID_API_KEY: { status: 401, source },
      VALIDATION_ERROR: { status: 400, source },
      MODEL_NOT_FOUND: { status: 404, source },
      RATE_LIMITED: { status: 429, source },
      SERVICE_UNAVAILABLE: { status: 503, source },
      UPSTREAM_ERROR: { status: "varies", source },
    },
    conditions: {
      "auth.missing": "MISSING_API_KEY",
      "auth.invalid": "INVALID_API_KEY",
      "request.invalid": "VALIDATION_ERROR",
      "model.unknown": "MODEL_NOT_FOUND",
      "rate.limited": ["RATE_LIMITED"],
    },
    exhaustion: { codes: ["SERVICE_UNAVAILABLE"], statuses: [503], source },
    upstreamError: { code: "UPSTREAM_ERROR", status: "provider", source },
    retryAfter: { level: "must", statuses: [429, 503], source },
    limits: { maxBodyBytes: 2_048 },
  });
  let g: Gateway;
  beforeAll(async () => {
    g = await startGateway({
      profile: meta,
      upstreams: [{ name: "alpha", baseUrl: mock.providerUrl("alpha") }],
    });
  });
  afterAll(() => g?.close());

  it.each<[string, Parameters<typeof call>[1], string, number, string?]>([
    ["auth.missing", { key: null, body: chat() }, "MISSING_API_KEY", 401],
    [
      "auth.malformed falls back to auth.invalid",
      { headers: { authorization: "Basic x" }, body: chat() },
      "INVALID_API_KEY",
      401,
    ],
    ["request.invalid names the field", { body: chat("", { top_p: 2 }) }, "VALIDATION_ERROR", 400, "top_p"],
    ["malformed JSON falls back to request.invalid", { body: "{" }, "VALIDATION_ERROR", 400],
    ["a body above limits.maxBodyBytes", { body: chat("x".repeat(4_096)) }, "VALIDATION_ERROR", 400],
  ])("%s", async (_name, req, code, status, field) => {
    const a = await call(g, req);
    expect([a.status, a.body.success, a.body.error.code]).toEqual([status, false, code]);
    expect(a.body.error.details?.field).toBe(field);
    expect(a.body.meta.request_id).toBe(a.headers.get("x-request-id"));
    expect(new Date(a.body.meta.timestamp).toISOString()).toBe(a.body.meta.timestamp);
  });

  it("repeats Retry-After in the body on every status the profile lists", async () => {
    const limited = await call(g, { key: GATEWAY_DEFAULTS.limitedKey, body: chat() });
    const p = await plan({ alpha: ["unavailable"] });
    const exhausted = await call(g, { body: chat(p.marker) });
    for (const [a, status] of [
      [limited, 429],
      [exhausted, 503],
    ] as const) {
      expect(a.status).toBe(status);
      expect(a.headers.get("retry-after")).toBe("1");
      expect(a.body.error.retry_after).toBe(1);
    }
  });
});
