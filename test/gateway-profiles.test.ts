import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPath } from "../core/json-path.ts";
import { loadProfile } from "../core/profile/load.ts";
import { type Condition, familyNames, familyProfile } from "../core/profile/schema.ts";
import { GATEWAY_DEFAULTS, type Gateway, startGateway } from "../gateway/index.ts";
import { PROFILE_MUTATIONS } from "../gateway/mutants/index.ts";
import { type MockServer, startMock } from "../mocks/server.ts";
import { MockClient } from "../suites/harness/mock-client.ts";
import { untag } from "./helpers/completion-tag.ts";

// The reference gateway keeping each seed system's contract: every condition's code, status and envelope,
// the native Anthropic and Gemini families, lemondata's hints, field codes, the concurrency guard; and
// each profile-feature mutation changing exactly the answer its summary names.
const PROFILES = ["lemondata", "meta-envelope", "data-envelope", "llmapi", "lumenfall"] as const;
type Name = (typeof PROFILES)[number];
const TIMING = { attemptTimeoutMs: 300, deadlineMs: 1_500 };
const KEY = GATEWAY_DEFAULTS.apiKeys[0]!;
const MODEL = GATEWAY_DEFAULTS.models[0]!;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
let mock: MockServer;
const gateways = new Map<Name, Gateway>();
const gw = (n: Name) => gateways.get(n)!;

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers by path; a wrong shape fails the assertion
  body: any;
}

interface Call {
  path?: string;
  method?: string;
  body?: unknown;
  /** null: no credential at all. */
  key?: string | null;
  headers?: Record<string, string>;
}

async function call(g: Gateway, o: Call = {}): Promise<Answer> {
  const headers: Record<string, string> = { "content-type": "application/json", ...o.headers };
  if (
    o.key !== null &&
    !Object.keys(headers).some((h) => /^(authorization|x-api-key|x-goog-api-key)$/.test(h))
  )
    headers.authorization = `Bearer ${o.key ?? KEY}`;
  const method = o.method ?? "POST";
  const res = await fetch(`${g.url}${o.path ?? "/v1/chat/completions"}`, {
    method,
    headers,
    body:
      method === "POST"
        ? typeof o.body === "string"
          ? o.body
          : JSON.stringify(o.body ?? openai())
        : undefined,
    signal: AbortSignal.timeout(5_000),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, text, body };
}

async function plan(providers: Record<string, unknown[]>): Promise<string> {
  return (await new MockClient(mock.url).addPlan({ providers })).marker;
}

const allFail = (step: string) => ({ alpha: [step], beta: [step], gamma: [step] });
const openai = (marker = "", extra: Record<string, unknown> = {}) => ({
  model: MODEL,
  messages: [{ role: "user", content: `hello ${marker}` }],
  max_tokens: 16,
  ...extra,
});
const anthropic = (marker = "", extra: Record<string, unknown> = {}) => ({
  model: MODEL,
  max_tokens: 16,
  messages: [{ role: "user", content: `hello ${marker}` }],
  ...extra,
});
const gemini = (marker = "", config: Record<string, unknown> = {}) => ({
  contents: [{ role: "user", parts: [{ text: `hello ${marker}` }] }],
  generationConfig: { maxOutputTokens: 16, ...config },
});
const geminiPath = (model = MODEL, stream = false) =>
  `/v1beta/models/${model}:${stream ? "streamGenerateContent?alt=sse" : "generateContent"}`;

/** SSE events as {event, data}; data parsed where it is JSON. */
function sse(text: string): Array<{ event?: string; data: unknown }> {
  return text
    .replace(/\r\n/g, "\n")
    .split("\n\n")
    .filter((b) => b.trim())
    .map((b) => {
      const event = /^event: (.*)$/m.exec(b)?.[1];
      const raw = /^data: (.*)$/m.exec(b)?.[1] ?? "";
      try {
        return { event, data: JSON.parse(raw) };
      } catch {
        return { event, data: raw };
      }
    });
}

/** Holds one request of the concurrency key in flight at the mock, and sends another meanwhile. */
async function overConcurrency(g: Gateway, path = "/v1/chat/completions"): Promise<[Answer, Answer]> {
  const marker = await plan({ alpha: [{ step: "ok", delayMs: 300 }] });
  const key = GATEWAY_DEFAULTS.concurrencyKey;
  const first = call(g, { key, path, body: openai(marker) });
  await new Promise((r) => setTimeout(r, 80));
  const second = await call(g, { key, path, body: openai() });
  return [await first, second];
}

function upstreams() {
  return ["alpha", "beta", "gamma"].map((name) => ({ name, baseUrl: mock.providerUrl(name) }));
}

beforeAll(async () => {
  mock = await startMock();
  for (const name of PROFILES) {
    gateways.set(name, await startGateway({ profile: loadProfile(name), upstreams: upstreams(), ...TIMING }));
  }
});
afterAll(async () => {
  for (const g of gateways.values()) await g.close();
  await mock?.close();
});

/** How to speak to one family: its chat path for a model, and a valid body carrying a plan marker. */
interface Speaker {
  path(model?: string): string;
  body(marker: string, model?: string): unknown;
}
const SPEAK: Record<"openai" | "anthropic" | "gemini", Speaker> = {
  openai: { path: () => "/v1/chat/completions", body: (marker, model = MODEL) => openai(marker, { model }) },
  anthropic: { path: () => "/v1/messages", body: (marker, model = MODEL) => anthropic(marker, { model }) },
  gemini: { path: (model = MODEL) => geminiPath(model), body: (marker) => gemini(marker) },
};

/** Each condition the gateway can be driven into, as a request in the family's dialect. */
const CONDITIONS: Array<[Condition, (d: Speaker) => Promise<Call>]> = [
  ["auth.missing", async (d) => ({ path: d.path(), key: null, body: d.body("") })],
  [
    "auth.malformed",
    async (d) => ({ path: d.path(), headers: { authorization: `Token ${KEY}` }, body: d.body("") }),
  ],
  ["auth.invalid", async (d) => ({ path: d.path(), key: "fl-stranger", body: d.body("") })],
  ["request.malformed_json", async (d) => ({ path: d.path(), body: '{"model":' })],
  ["request.invalid", async (d) => ({ path: d.path(), body: [d.body("")] })],
  ["model.unknown", async (d) => ({ path: d.path("nonexistent-x"), body: d.body("", "nonexistent-x") })],
  [
    "model.disabled",
    async (d) => ({ path: d.path("faultline-disabled"), body: d.body("", "faultline-disabled") }),
  ],
  [
    "balance.insufficient",
    async (d) => ({ path: d.path(), key: GATEWAY_DEFAULTS.brokeKey, body: d.body("") }),
  ],
  ["rate.limited", async (d) => ({ path: d.path(), key: GATEWAY_DEFAULTS.limitedKey, body: d.body("") })],
  [
    "upstream.exhausted",
    async (d) => ({ path: d.path(), body: d.body(await plan(allFail("server_error"))) }),
  ],
  [
    "upstream.non_retryable",
    async (d) => ({ path: d.path(), body: d.body(await plan({ alpha: ["content_policy"] })) }),
  ],
];

describe("every profile and family: each condition's code, status and envelope", () => {
  const rows = PROFILES.flatMap((name) =>
    familyNames(loadProfile(name)).flatMap((family) =>
      CONDITIONS.map(([cond, build]) => ({ name, family, cond, build })),
    ),
  );
  it.each(rows)("$name@$family $cond", async ({ name, family, cond, build }) => {
    const p = familyProfile(loadProfile(name), family);
    const a = await call(gw(name), await build(SPEAK[p.endpoints.chat.dialect]));
    const code = getPath(a.body, p.envelope.code) as string;
    const mapped = p.conditions[cond] ?? p.conditions["model.unknown"];
    const codes = cond === "upstream.non_retryable" ? [p.upstreamError.code] : [mapped ?? []].flat();
    expect(codes).toContain(code);
    const want = p.catalogue[code]!.status;
    if (want !== "varies") expect([want].flat()).toContain(a.status);
    if (cond === "upstream.exhausted") expect(p.exhaustion.statuses).toContain(a.status);
    if (cond === "upstream.non_retryable") expect(a.status).toBe(400);
    expect(a.headers.get("content-type")).toMatch(/^application\/json/);
    expect(getPath(a.body, p.envelope.message)).toMatch(/\S/);
    for (const [path, value] of Object.entries(p.envelope.fixed))
      expect(getPath(a.body, path)).toEqual(value);
    if (a.status === 429) expect(a.headers.get("retry-after")).toBe("1");
  });
});

describe("meta-envelope", () => {
  it("answers a missing key MISSING_API_KEY in the envelope, with a request id and an ISO 8601 timestamp", async () => {
    const a = await call(gw("meta-envelope"), { key: null });
    expect(a.status).toBe(401);
    expect(a.body).toMatchObject({ success: false, error: { code: "MISSING_API_KEY" } });
    expect(a.body.error.message).toMatch(/\S/);
    expect(a.body.meta.request_id).toBe(a.headers.get("x-request-id"));
    expect(a.body.meta.timestamp).toMatch(ISO_8601);
  });

  it("answers every other credential failure INVALID_API_KEY", async () => {
    for (const headers of [{ authorization: `Token ${KEY}` }, { authorization: "Bearer fl-stranger" }]) {
      const a = await call(gw("meta-envelope"), { headers });
      expect([a.status, a.body.error.code]).toEqual([401, "INVALID_API_KEY"]);
    }
  });

  it("names the field: its own code when a bound is broken, the general code for a wrong type", async () => {
    const g = gw("meta-envelope");
    const seen = await Promise.all(
      [
        { temperature: 2.5 },
        { temperature: -0.1 },
        { max_tokens: 0 },
        { temperature: "hot" },
        { messages: [] },
      ].map(async (extra) => {
        const a = await call(g, { body: openai("", extra) });
        return [a.status, a.body.error.code, a.body.error.details?.field];
      }),
    );
    expect(seen).toEqual([
      [400, "INVALID_TEMPERATURE", "temperature"],
      [400, "INVALID_TEMPERATURE", "temperature"],
      [400, "INVALID_MAX_TOKENS", "max_tokens"],
      [400, "INVALID_REQUEST", "temperature"],
      [400, "INVALID_REQUEST", "messages"],
    ]);
  });

  it("gives every error its own request id", async () => {
    const ids = await Promise.all([1, 2, 3, 4].map(() => call(gw("meta-envelope"), { key: null })));
    expect(new Set(ids.map((a) => a.body.meta.request_id)).size).toBe(4);
  });

  it("answers unknown models, routes, exhaustion and the concurrency guard with the seed's codes", async () => {
    const g = gw("meta-envelope");
    const model = await call(g, { body: openai("", { model: "faultline-chta" }) });
    expect([model.status, model.body.error.code, model.body.error.details.field]).toEqual([
      404,
      "MODEL_NOT_FOUND",
      "model",
    ]);
    const route = await call(g, { method: "GET", path: "/v1/nowhere" });
    expect([route.status, route.body.error.code]).toEqual([404, "ENDPOINT_NOT_FOUND"]);
    const exhausted = await call(g, { body: openai(await plan(allFail("server_error"))) });
    expect([exhausted.status, exhausted.body.error.code, exhausted.headers.get("retry-after")]).toEqual([
      503,
      "SERVICE_UNAVAILABLE",
      "1",
    ]);
    const [first, second] = await overConcurrency(g);
    expect(first.status).toBe(200);
    expect([second.status, second.body.error.code]).toEqual([429, "CONCURRENT_LIMIT_EXCEEDED"]);
  });
});

describe("data-envelope", () => {
  it("answers errors with success: false and data: null, validation as invalid_request naming details.param", async () => {
    const g = gw("data-envelope");
    const auth = await call(g, { key: null });
    expect(auth.status).toBe(401);
    expect(auth.body).toEqual({
      success: false,
      data: null,
      error: { code: "UNAUTHORIZED", message: expect.any(String) },
    });
    const field = await call(g, { body: openai("", { max_tokens: -5 }) });
    expect([field.status, field.body.error.code, field.body.error.details.param]).toEqual([
      400,
      "invalid_request",
      "max_tokens",
    ]);
    const broke = await call(g, { key: GATEWAY_DEFAULTS.brokeKey });
    expect([broke.status, broke.body.error.code]).toEqual([402, "INSUFFICIENT_CREDITS"]);
  });

  it("refuses a second request of a key at its concurrency limit, with active_requests and concurrency_limit", async () => {
    const g = gw("data-envelope");
    const [first, second] = await overConcurrency(g);
    expect(first.status).toBe(200);
    expect(second.status).toBe(429);
    expect(second.headers.get("retry-after")).toBe("1");
    expect(second.body).toMatchObject({
      success: false,
      data: null,
      error: { code: "CONCURRENT_GENERATION_LIMIT", active_requests: 1, concurrency_limit: 1 },
    });
    // The slot is released with the answer, and other keys were never limited.
    const marker = await plan({ alpha: ["ok"] });
    expect((await call(g, { key: GATEWAY_DEFAULTS.concurrencyKey, body: openai(marker) })).status).toBe(200);
  });

  it("answers exhaustion 500 PROVIDER_ERROR and a provider's refusal with the provider's status", async () => {
    const g = gw("data-envelope");
    const exhausted = await call(g, { body: openai(await plan(allFail("bad_gateway"))) });
    expect([exhausted.status, exhausted.body.error.code]).toEqual([500, "PROVIDER_ERROR"]);
    const refused = await call(g, { body: openai(await plan({ alpha: ["content_policy"] })) });
    expect([refused.status, refused.body.error.code]).toEqual([400, "invalid_request"]);
  });
});

describe("lemondata: OpenAI-compatible envelope with hints", () => {
  it("suggests the closest served model, with retryable false and the param named", async () => {
    const a = await call(gw("lemondata"), { body: openai("", { model: "faultline-chta" }) });
    expect(a.status).toBe(404);
    expect(a.body.error).toMatchObject({
      code: "model_not_found",
      type: "model_not_found",
      param: "model",
      retryable: false,
      did_you_mean: MODEL,
    });
  });

  it("always carries param (null when no field is at fault)", async () => {
    const a = await call(gw("lemondata"), { key: "fl-stranger" });
    expect(a.status).toBe(401);
    expect(a.body.error).toEqual({
      code: "invalid_api_key",
      type: "invalid_api_key",
      message: expect.any(String),
      param: null,
      retryable: false,
    });
  });

  it("repeats Retry-After as retry_after on a 429, and says retryable on 429 and 5xx", async () => {
    const g = gw("lemondata");
    const limited = await call(g, { key: GATEWAY_DEFAULTS.limitedKey });
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatchObject({
      code: "rate_limit_exceeded",
      retryable: true,
      retry_after: 1,
    });
    expect(limited.headers.get("retry-after")).toBe("1");
    const exhausted = await call(g, { body: openai(await plan(allFail("unavailable"))) });
    expect([exhausted.status, exhausted.body.error.code, exhausted.body.error.retryable]).toEqual([
      502,
      "all_channels_failed",
      true,
    ]);
    const broke = await call(g, { key: GATEWAY_DEFAULTS.brokeKey });
    expect([broke.status, broke.body.error.code, broke.body.error.retryable]).toEqual([
      402,
      "insufficient_balance",
      false,
    ]);
  });
});

describe("native families: Anthropic Messages", () => {
  it("translates a message and its answer", async () => {
    const marker = await plan({ alpha: [{ step: "ok", text: "Bonjour." }] });
    const a = await call(gw("lemondata"), {
      path: "/v1/messages",
      body: anthropic(marker, { system: "Be brief.", temperature: 0.5 }),
    });
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({
      type: "message",
      role: "assistant",
      model: MODEL,
      content: [{ type: "text", text: "Bonjour." }],
      stop_reason: "end_turn",
    });
    expect(a.body.id).toMatch(/^msg_/);
  });

  it("streams content_block_delta events ending with message_stop, and a break as an error event", async () => {
    const g = gw("lemondata");
    const ok = await call(g, {
      path: "/v1/messages",
      body: anthropic(await plan({ alpha: ["ok"] }), { stream: true }),
    });
    const events = sse(ok.text);
    expect(events[0]?.event).toBe("message_start");
    expect(events.at(-1)).toEqual({ event: "message_stop", data: { type: "message_stop" } });
    const deltas = events.filter((e) => e.event === "content_block_delta");
    expect(untag(deltas.map((e) => (e.data as { delta: { text: string } }).delta.text).join(""))).toBe(
      "Hello from alpha.",
    );
    const cut = await call(g, {
      path: "/v1/messages",
      body: anthropic(await plan({ alpha: [{ step: "stream_cut", afterChunks: 2 }] }), { stream: true }),
    });
    const last = sse(cut.text).at(-1)!;
    expect(last.event).toBe("error");
    expect(last.data).toMatchObject({ type: "error", error: { type: "api_error" } });
    expect(cut.text).not.toContain("message_stop");
  });

  it("answers errors in Anthropic's envelope, and validates the Messages schema", async () => {
    const g = gw("lemondata");
    const noKey = await call(g, { path: "/v1/messages", key: null, body: anthropic() });
    expect(noKey.status).toBe(401);
    expect(noKey.body).toEqual({
      type: "error",
      error: { type: "authentication_error", message: expect.any(String) },
      request_id: noKey.headers.get("x-request-id"),
    });
    for (const [body, param] of [
      [{ model: MODEL, messages: [{ role: "user", content: "hi" }] }, /max_tokens/],
      [anthropic("", { max_tokens: 0 }), /max_tokens/],
      [anthropic("", { temperature: 1.5 }), /temperature/],
      [anthropic("", { messages: [{ role: "system", content: "hi" }] }), /role/],
    ] as const) {
      const a = await call(g, { path: "/v1/messages", body });
      expect([a.status, a.body.error.type]).toEqual([400, "invalid_request_error"]);
      expect(a.body.error.message).toMatch(param);
    }
    const broke = await call(g, { path: "/v1/messages", key: GATEWAY_DEFAULTS.brokeKey, body: anthropic() });
    expect([broke.status, broke.body.error.type]).toEqual([402, "insufficient_balance_error"]);
    const exhausted = await call(g, {
      path: "/v1/messages",
      body: anthropic(await plan(allFail("server_error"))),
    });
    expect([exhausted.status, exhausted.body.error.type]).toEqual([502, "api_error"]);
  });

  it("accepts the Anthropic SDK's x-api-key header", async () => {
    const marker = await plan({ alpha: ["ok"] });
    const a = await call(gw("llmapi"), {
      path: "/v1/messages",
      headers: { "x-api-key": KEY },
      body: anthropic(marker),
    });
    expect(a.status).toBe(200);
    const wrong = await call(gw("llmapi"), {
      path: "/v1/messages",
      headers: { "x-api-key": "fl-stranger" },
      body: anthropic(),
    });
    expect([wrong.status, wrong.body.type, wrong.body.error.type]).toEqual([
      401,
      "error",
      "authentication_error",
    ]);
  });
});

describe("native families: Gemini generateContent", () => {
  it("translates contents and the answer, and streams chunks ending with finishReason", async () => {
    const g = gw("lemondata");
    const marker = await plan({ alpha: [{ step: "ok", text: "Hallo Welt." }] });
    const a = await call(g, { path: geminiPath(), body: gemini(marker, { temperature: 1.5 }) });
    expect(a.status).toBe(200);
    expect(a.body.candidates[0]).toMatchObject({
      content: { role: "model", parts: [{ text: "Hallo Welt." }] },
      finishReason: "STOP",
    });
    const s = await call(g, { path: geminiPath(MODEL, true), body: gemini(await plan({ alpha: ["ok"] })) });
    expect(s.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const chunks = sse(s.text).map(
      (e) =>
        e.data as {
          candidates: Array<{ content: { parts: Array<{ text: string }> }; finishReason?: string }>;
        },
    );
    expect(untag(chunks.map((c) => c.candidates[0]!.content.parts[0]!.text).join(""))).toBe(
      "Hello from alpha.",
    );
    expect(chunks.at(-1)!.candidates[0]!.finishReason).toBe("STOP");
    expect(chunks.slice(0, -1).every((c) => c.candidates[0]!.finishReason === undefined)).toBe(true);
  });

  it("answers errors in Google's envelope with the status repeated as error.code", async () => {
    const g = gw("lemondata");
    const unknown = await call(g, { path: geminiPath("faultline-chta"), body: gemini() });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: { code: 404, status: "NOT_FOUND", message: expect.any(String) } });
    const noContents = await call(g, { path: geminiPath(), body: { generationConfig: {} } });
    expect([noContents.status, noContents.body.error.status]).toEqual([400, "INVALID_ARGUMENT"]);
    const hot = await call(g, { path: geminiPath(), body: gemini("", { temperature: 2.5 }) });
    expect([hot.status, hot.body.error.status]).toEqual([400, "INVALID_ARGUMENT"]);
    expect(hot.body.error.message).toMatch(/generationConfig\.temperature/);
    const wrongMethod = await call(g, { method: "GET", path: geminiPath() });
    expect([
      wrongMethod.status,
      wrongMethod.headers.get("allow"),
      typeof wrongMethod.body.error.message,
    ]).toEqual([405, "POST", "string"]);
    const exhausted = await call(g, { path: geminiPath(), body: gemini(await plan(allFail("overloaded"))) });
    expect([exhausted.status, exhausted.body.error.status, exhausted.body.error.code]).toEqual([
      503,
      "UNAVAILABLE",
      503,
    ]);
  });

  it("accepts x-goog-api-key, lists models the Gemini way, and answers oversized bodies 413 under llmapi", async () => {
    const g = gw("llmapi");
    const a = await call(g, {
      path: geminiPath(),
      headers: { "x-goog-api-key": KEY },
      body: gemini(await plan({ alpha: ["ok"] })),
    });
    expect(a.status).toBe(200);
    const models = await call(g, { method: "GET", path: "/v1beta/models" });
    expect(models.body.models.map((m: { name: string }) => m.name)).toEqual([`models/${MODEL}`]);
    const big = await call(g, { path: geminiPath(), body: gemini("x".repeat(70_000)) });
    expect([big.status, big.body.error.status]).toEqual([413, "INVALID_ARGUMENT"]);
    const broke = await call(g, { path: geminiPath(), key: GATEWAY_DEFAULTS.brokeKey, body: gemini() });
    expect([broke.status, broke.body.error.status]).toEqual([403, "PERMISSION_DENIED"]);
  });
});

describe("llmapi: protocol-native envelope", () => {
  it("answers balance 403, oversized bodies 413, exhaustion 502 and a provider's refusal with its status", async () => {
    const g = gw("llmapi");
    const broke = await call(g, { key: GATEWAY_DEFAULTS.brokeKey });
    expect(broke.status).toBe(403);
    expect(broke.body).toEqual({
      type: "error",
      error: { type: "billing_error", message: expect.any(String) },
    });
    const big = await call(g, { body: openai("x".repeat(70_000)) });
    expect([big.status, big.body.error.type]).toEqual([413, "request_too_large"]);
    const exhausted = await call(g, { body: openai(await plan(allFail("rate_limit"))) });
    expect([exhausted.status, exhausted.body.error.type]).toEqual([502, "upstream_error"]);
    const refused = await call(g, { body: openai(await plan({ alpha: ["context_length"] })) });
    expect([refused.status, refused.body.error.type]).toEqual([400, "upstream_error"]);
    const [, second] = await overConcurrency(g);
    expect([second.status, second.body.error.type]).toEqual([429, "rate_limit_error"]);
  });
});

/** defect id → [probe, what the reference answers, what the mutation answers]. */
const ROWS: Record<string, [(g: Gateway) => Promise<unknown>, unknown, unknown]> = {
  request_id_reused: [
    async (g) => {
      const [a, b] = await Promise.all([call(g, { key: null }), call(g, { key: null })]);
      return a.body.meta.request_id === b.body.meta.request_id;
    },
    false,
    true,
  ],
  no_request_id: [
    async (g) => typeof (await call(g, { key: null })).body.meta?.request_id,
    "string",
    "undefined",
  ],
  timestamp_epoch: [
    async (g) => typeof (await call(g, { key: null })).body.meta.timestamp,
    "string",
    "number",
  ],
  field_generic: [
    async (g) => {
      const a = await call(g, { body: openai("", { temperature: 3 }) });
      return [a.body.error.code, a.body.error.details?.field];
    },
    ["INVALID_TEMPERATURE", "temperature"],
    ["INVALID_REQUEST", undefined],
  ],
  missing_key_as_invalid: [
    async (g) => (await call(g, { key: null })).body.error.code,
    "MISSING_API_KEY",
    "INVALID_API_KEY",
  ],
  retryable_wrong: [
    async (g) => (await call(g, { body: openai("", { model: "nope" }) })).body.error.retryable,
    false,
    true,
  ],
  did_you_mean_bogus: [
    async (g) => (await call(g, { body: openai("", { model: "faultline-chta" }) })).body.error.did_you_mean,
    MODEL,
    "gpt-4o",
  ],
  retry_after_mismatch: [
    async (g) => {
      const a = await call(g, { key: GATEWAY_DEFAULTS.limitedKey });
      return [a.headers.get("retry-after"), a.body.error.retry_after];
    },
    ["1", 1],
    ["1", 31],
  ],
  anthropic_openai_shape: [
    async (g) => {
      const a = await call(g, { path: "/v1/messages", key: null, body: anthropic() });
      return [a.body.type, a.body.error.type];
    },
    ["error", "authentication_error"],
    [undefined, "invalid_api_key"],
  ],
  concurrency_fields_missing: [
    async (g) => {
      const [, second] = await overConcurrency(g);
      return [second.body.error.code, second.body.error.active_requests, second.body.error.concurrency_limit];
    },
    ["CONCURRENT_GENERATION_LIMIT", 1, 1],
    ["CONCURRENT_GENERATION_LIMIT", undefined, undefined],
  ],
  data_not_null: [async (g) => (await call(g, { key: null })).body.data, null, {}],
  balance_402: [
    async (g) => {
      const a = await call(g, { key: GATEWAY_DEFAULTS.brokeKey });
      return [a.status, a.body.error.type];
    },
    [403, "billing_error"],
    [402, "billing_error"],
  ],
  too_large_400: [
    async (g) => {
      const a = await call(g, { body: openai("x".repeat(70_000)) });
      return [a.status, a.body.error.type];
    },
    [413, "request_too_large"],
    [400, "invalid_request_error"],
  ],
  gemini_openai_shape: [
    async (g) => {
      const a = await call(g, { path: geminiPath("nope"), body: gemini() });
      return [a.status, a.body.error.status, a.body.type];
    },
    [404, "NOT_FOUND", undefined],
    [404, undefined, "error"],
  ],
};

describe("profile mutations", () => {
  it("has a probe for every profile-feature mutation, each naming a check and a profile", () => {
    expect(Object.keys(ROWS).sort()).toEqual(PROFILE_MUTATIONS.map((m) => m.id).sort());
    for (const m of PROFILE_MUTATIONS) {
      expect(m.expectedCheck).toMatch(/^[A-Z]+-\d{3}$/);
      expect(PROFILES).toContain(m.profile);
    }
  });

  it.each(PROFILE_MUTATIONS.map((m) => [m.id, m.profile!, m.summary]))("%s (%s): %s", async (id, profile) => {
    const [probe, good, bad] = ROWS[id]!;
    const mutant = await startGateway({
      profile: loadProfile(profile),
      upstreams: upstreams(),
      ...TIMING,
      defects: [id],
    });
    try {
      const [seen, seenMutated] = await Promise.all([probe(gw(profile as Name)), probe(mutant)]);
      expect(seen).toEqual(good);
      expect(seenMutated).toEqual(bad);
    } finally {
      await mutant.close();
    }
  });
});
