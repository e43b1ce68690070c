// Each dialect's decisions, called directly (no socket): every error kind's status and body shape,
// the headers a step asks for, and each dialect's stream framing.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dialect, dialectIds } from "../mocks/dialects/index.ts";
import { chunk, completion, completionJson } from "../mocks/dialects/openai.ts";
import {
  type DialectContext,
  ERROR_KINDS,
  type ErrorKind,
  pieces,
  sse,
  textJson,
} from "../mocks/dialects/types.ts";
import { DEFAULT_MODELS, MockEngine } from "../mocks/engine.ts";

const ctx: DialectContext = {
  provider: "p",
  model: "m-1",
  stream: false,
  requestId: "abc123",
  text: "Hello from p.",
  nowS: 1_700_000_000,
};
const STREAM = { ...ctx, stream: true };

/** [status, native type or status] per kind: OpenAI error.type, Anthropic error.type, Gemini error.status. */
const EXPECTED: Record<"openai" | "anthropic" | "gemini", Record<ErrorKind, [number, string]>> = {
  openai: {
    rate_limit: [429, "requests"],
    quota: [429, "insufficient_quota"],
    server_error: [500, "server_error"],
    bad_gateway: [502, "server_error"],
    unavailable: [503, "server_error"],
    gateway_timeout: [504, "server_error"],
    overloaded: [503, "server_error"],
    content_policy: [400, "invalid_request_error"],
    context_length: [400, "invalid_request_error"],
    auth: [401, "invalid_request_error"],
    permission: [403, "invalid_request_error"],
    not_found: [404, "invalid_request_error"],
    bad_request: [400, "invalid_request_error"],
    payment_required: [429, "insufficient_quota"],
    too_large: [413, "invalid_request_error"],
    quota_exhausted: [429, "insufficient_quota"],
  },
  anthropic: {
    rate_limit: [429, "rate_limit_error"],
    quota: [429, "rate_limit_error"],
    server_error: [500, "api_error"],
    bad_gateway: [500, "api_error"],
    unavailable: [529, "overloaded_error"],
    gateway_timeout: [504, "timeout_error"],
    overloaded: [529, "overloaded_error"],
    content_policy: [400, "invalid_request_error"],
    context_length: [400, "invalid_request_error"],
    auth: [401, "authentication_error"],
    permission: [403, "permission_error"],
    not_found: [404, "not_found_error"],
    bad_request: [400, "invalid_request_error"],
    payment_required: [402, "billing_error"],
    too_large: [413, "request_too_large"],
    quota_exhausted: [429, "rate_limit_error"],
  },
  gemini: {
    rate_limit: [429, "RESOURCE_EXHAUSTED"],
    quota: [429, "RESOURCE_EXHAUSTED"],
    server_error: [500, "INTERNAL"],
    bad_gateway: [502, "UNAVAILABLE"],
    unavailable: [503, "UNAVAILABLE"],
    gateway_timeout: [504, "DEADLINE_EXCEEDED"],
    overloaded: [503, "UNAVAILABLE"],
    content_policy: [400, "INVALID_ARGUMENT"],
    context_length: [400, "INVALID_ARGUMENT"],
    auth: [400, "INVALID_ARGUMENT"],
    permission: [403, "PERMISSION_DENIED"],
    not_found: [404, "NOT_FOUND"],
    bad_request: [400, "INVALID_ARGUMENT"],
    payment_required: [402, "RESOURCE_EXHAUSTED"],
    too_large: [400, "INVALID_ARGUMENT"],
    quota_exhausted: [402, "RESOURCE_EXHAUSTED"],
  },
};

/** The native type or status of an error body, checking the body has exactly its dialect's shape. */
function nativeType(id: string, body: Record<string, unknown>): string {
  if (id === "openai") {
    const e = body.error as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(["error"]);
    expect(Object.keys(e).sort()).toEqual(["code", "message", "param", "type"]);
    return e.type as string;
  }
  if (id === "anthropic") {
    const { details, ...error } = body.error as Record<string, unknown>;
    expect({ ...body, error }).toEqual({
      type: "error",
      error: { type: expect.any(String), message: expect.any(String) },
      request_id: "req_abc123",
    });
    if (details !== undefined) expect(details).toEqual({ error_code: expect.any(String) });
    return (body.error as { type: string }).type;
  }
  const e = body.error as Record<string, unknown>;
  expect(Object.keys(body)).toEqual(["error"]);
  expect(Object.keys(e).filter((k) => k !== "details")).toEqual(["code", "message", "status"]);
  if (e.details !== undefined) expect(e.details).toEqual(expect.arrayContaining([expect.any(Object)]));
  return e.status as string;
}

const CASES = (["openai", "anthropic", "gemini"] as const).flatMap((id) =>
  ERROR_KINDS.map((kind) => ({ id, kind, status: EXPECTED[id][kind][0], type: EXPECTED[id][kind][1] })),
);

describe("error kinds", () => {
  it("every dialect is registered", () => {
    expect(dialectIds().sort()).toEqual(["anthropic", "gemini", "openai"]);
  });

  it.each(CASES)("$id $kind → $status $type", ({ id, kind, status, type }) => {
    const reply = dialect(id).error(kind, ctx, { headers: { "retry-after": "7" }, retryAfterS: 7 });
    expect(reply.status).toBe(status);
    expect(reply.headers["content-type"]).toMatch(/^application\/json/);
    // The step decides Retry-After; every dialect passes it through untouched.
    expect(reply.headers["retry-after"]).toBe("7");
    const body = JSON.parse(reply.body ?? "") as Record<string, unknown>;
    expect(nativeType(id, body)).toBe(type);
    if (id === "gemini") expect((body.error as { code: number }).code).toBe(status);
    expect(JSON.stringify(body)).toMatch(/"message":"[^"]+/);
  });

  it.each(dialectIds())("%s uses opts.message when a step gives one", (id) => {
    const reply = dialect(id).error("bad_request", ctx, { message: "custom words" });
    expect(reply.body).toContain('"custom words"');
  });

  it("Gemini puts RetryInfo in a 429 only when the step gives a delay", () => {
    const g = dialect("gemini");
    const withDelay = JSON.parse(g.error("rate_limit", ctx, { retryAfterS: 7 }).body!);
    expect(withDelay.error.details).toContainEqual({
      "@type": "type.googleapis.com/google.rpc.RetryInfo",
      retryDelay: "7s",
    });
    const without = JSON.parse(g.error("rate_limit", ctx).body!);
    expect(JSON.stringify(without)).not.toContain("RetryInfo");
    const auth = JSON.parse(g.error("auth", ctx).body!);
    expect(auth.error.details[0]).toMatchObject({ reason: "API_KEY_INVALID" });
  });

  it("Anthropic empties the limited window and dates its reset in RFC 3339", () => {
    const a = dialect("anthropic");
    const h = a.error("rate_limit", ctx, { retryAfterS: 7 }).headers;
    expect(h["request-id"]).toBe("req_abc123");
    expect(h["anthropic-ratelimit-requests-remaining"]).toBe("0");
    expect(h["anthropic-ratelimit-requests-reset"]).toBe("2023-11-14T22:13:27Z");
    const q = a.error("quota", ctx).headers;
    expect(q["anthropic-ratelimit-input-tokens-remaining"]).toBe("0");
    expect(q["anthropic-ratelimit-tokens-reset"]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it("OpenAI reports the wait as a duration in x-ratelimit-reset-requests", () => {
    const h = dialect("openai").error("rate_limit", ctx, { retryAfterS: 7 }).headers;
    expect(h["x-ratelimit-remaining-requests"]).toBe("0");
    expect(h["x-ratelimit-reset-requests"]).toBe("7s");
  });
});

/** Splits an SSE byte string into events, checking every event ends with the dialect's separator. */
function events(raw: string[], sep: string): string[] {
  return raw.map((e) => {
    expect(e.endsWith(sep)).toBe(true);
    expect(e.slice(0, -sep.length)).not.toContain(sep);
    return e.slice(0, -sep.length);
  });
}

describe("stream framing", () => {
  it("OpenAI: data-only events, content deltas, a stop chunk, then [DONE]", () => {
    const { content, closing } = dialect("openai").streamEvents(STREAM);
    const all = events([...content, ...closing], "\n\n");
    expect(all.every((e) => e.startsWith("data: "))).toBe(true);
    expect(all.at(-1)).toBe("data: [DONE]");
    const chunks = all.slice(0, -1).map((e) => JSON.parse(e.slice(6)));
    expect(chunks.map((c) => c.choices[0].delta.content ?? "").join("")).toBe(ctx.text);
    expect(chunks.at(-1).choices[0].finish_reason).toBe("stop");
    const err = dialect("openai").streamError(STREAM, "server_error");
    expect(JSON.parse(err.slice(6)).error).toMatchObject({ type: "server_error" });
  });

  it("Anthropic: named events in the documented order, text deltas, message_stop last", () => {
    const { content, closing } = dialect("anthropic").streamEvents(STREAM);
    const all = events([...content, ...closing], "\n\n").map((e) => {
      const m = /^event: (\w+)\ndata: (.+)$/.exec(e);
      expect(m).not.toBeNull();
      const data = JSON.parse(m![2]!);
      expect(data.type).toBe(m![1]);
      return data;
    });
    expect(all.map((d) => d.type)).toEqual([
      "message_start",
      "content_block_start",
      "ping",
      "content_block_delta",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    const deltas = all.filter((d) => d.type === "content_block_delta").map((d) => d.delta.text);
    expect(deltas.join("")).toBe(ctx.text);
    expect(all.find((d) => d.type === "message_delta").delta.stop_reason).toBe("end_turn");
    expect(closing.length).toBe(3);
    expect(dialect("anthropic").streamError(STREAM, "overloaded")).toBe(
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
    );
  });

  it("Gemini: CRLF-framed data events, no terminator, STOP only on the last", () => {
    const g = dialect("gemini");
    const { content, closing } = g.streamEvents(STREAM);
    const all = events([...content, ...closing], "\r\n\r\n").map((e) => {
      expect(e.startsWith("data: ")).toBe(true);
      return JSON.parse(e.slice(6));
    });
    const text = all
      .map((c) => c.candidates[0].content.parts.map((p: { text: string }) => p.text).join(""))
      .join("");
    expect(text).toBe(ctx.text);
    expect(all.map((c) => c.candidates[0].finishReason)).toEqual([undefined, undefined, undefined, "STOP"]);
    expect(closing.length).toBe(1);
    // The mid-stream error is bare JSON outside SSE framing, as the API writes it.
    const err = g.streamError(STREAM, "server_error");
    expect(err.startsWith("data:")).toBe(false);
    expect(JSON.parse(err)).toEqual({ error: expect.objectContaining({ code: 500, status: "INTERNAL" }) });
  });

  it.each(dialectIds())("%s success() as a stream carries every event with an SSE content-type", (id) => {
    const d = dialect(id);
    const reply = d.success(STREAM);
    const { content, closing } = d.streamEvents(STREAM);
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toMatch(/^text\/event-stream/);
    expect(reply.chunks?.map((c) => c.data)).toEqual([...content, ...closing]);
  });
});

describe("success bodies, models, routes", () => {
  it("each dialect's JSON completion carries the text where its SDK reads it", () => {
    const oa = JSON.parse(dialect("openai").success(ctx).body!);
    expect(oa.choices[0].message.content).toBe(ctx.text);
    const an = JSON.parse(dialect("anthropic").success(ctx).body!);
    expect(an).toMatchObject({
      type: "message",
      role: "assistant",
      content: [{ type: "text", text: ctx.text }],
    });
    const geReply = dialect("gemini").success(ctx);
    // Google pretty-prints its JSON.
    expect(geReply.body).toMatch(/^\{\n {2}"candidates"/);
    expect(JSON.parse(geReply.body!).candidates[0]).toMatchObject({
      content: { parts: [{ text: ctx.text }], role: "model" },
      finishReason: "STOP",
    });
  });

  it("each dialect lists models in its own shape", () => {
    expect(JSON.parse(dialect("openai").models(ctx, ["a"]).body!).data[0]).toMatchObject({
      id: "a",
      object: "model",
    });
    expect(JSON.parse(dialect("anthropic").models(ctx, ["a"]).body!)).toMatchObject({
      data: [{ type: "model", id: "a" }],
      has_more: false,
    });
    expect(JSON.parse(dialect("gemini").models(ctx, ["a"]).body!).models[0]).toMatchObject({
      name: "models/a",
    });
  });

  it.each([
    [
      "anthropic",
      "POST",
      "/v1/messages",
      { model: "c", stream: true },
      { op: "chat", stream: true, model: "c" },
    ],
    ["anthropic", "GET", "/v1/models", undefined, { op: "models", stream: false, model: "" }],
    ["anthropic", "POST", "/v1/chat/completions", {}, undefined],
    [
      "gemini",
      "POST",
      "/v1beta/models/g-2.5:generateContent",
      {},
      { op: "chat", stream: false, model: "g-2.5" },
    ],
    [
      "gemini",
      "POST",
      "/v1beta/models/g-2.5:streamGenerateContent",
      {},
      { op: "chat", stream: true, model: "g-2.5" },
    ],
    ["gemini", "GET", "/v1beta/models", undefined, { op: "models", stream: false, model: "" }],
    ["gemini", "POST", "/v1beta/models/g:countTokens", {}, undefined],
  ] as const)("%s routes %s %s", (id, method, subpath, body, want) => {
    expect(dialect(id).route(method, subpath, body)).toEqual(want);
  });

  it.each(dialectIds())("%s answers an unknown route with a 404 in its own envelope", (id) => {
    const reply = dialect(id).unknownRoute(ctx);
    expect(reply.status).toBe(404);
    const body = JSON.parse(reply.body!);
    if (id === "anthropic") expect(body.error.type).toBe("not_found_error");
    else if (id === "gemini") expect(body.error.status).toBe("NOT_FOUND");
    else expect(body.error.type).toBe("invalid_request_error");
  });
});

describe("OpenAI's fast serialisation writes the bytes JSON.stringify would", () => {
  const contexts: DialectContext[] = [
    ctx,
    {
      ...ctx,
      model: 'we"ird\\model\u2028',
      text: 'Quotes " and \\ and ünïcödé 🎉 and\nnewlines',
      requestId: "f".repeat(24),
    },
    { ...ctx, text: "", model: "" },
    { ...ctx, text: "one" },
  ];

  it.each(contexts.map((c, i) => [i, c] as const))("completion %i", (_i, c) => {
    expect(completionJson(c)).toBe(JSON.stringify(completion(c)));
    // A second time, from the caches.
    expect(completionJson(c)).toBe(JSON.stringify(completion(c)));
  });

  it("takes the engine's text JSON only while the text is still the engine's", () => {
    const own = { ...ctx, text: "Hello (1).", textCounted: "Hello (1).", textCountedJson: '"Hello (1)."' };
    expect(textJson(own)).toBe('"Hello (1)."');
    // A step's own text (steps.ts spreads the context with it), and a context that carries no JSON.
    expect(textJson({ ...own, text: 'say "hi"' })).toBe(JSON.stringify('say "hi"'));
    expect(textJson({ ...ctx, text: "ü\n", textCounted: "ü\n" })).toBe(JSON.stringify("ü\n"));
  });

  it("answers the engine's own text as JSON.stringify writes it, whatever the provider is called", () => {
    // The engine quotes the provider's text head once and adds the hex tag: names with quotes, backslashes,
    // control characters, line separators and astral characters must come out as JSON.stringify's.
    const name = fc
      .string({ unit: "binary", minLength: 1, maxLength: 12 })
      .filter((n) => !n.includes("/") && !n.startsWith("_"));
    fc.assert(
      fc.property(name, (n) => {
        const engine = new MockEngine({
          providers: [{ name: n, dialect: "openai", models: DEFAULT_MODELS.openai }],
        });
        const body = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
        const d = engine.decide({
          method: "POST",
          path: `/${n}/v1/chat/completions`,
          query: new URLSearchParams(),
          rawQuery: "",
          headers: {},
          body,
        });
        expect(d?.reply.status).toBe(200);
        const text = d!.entry.completionText!;
        expect(text.startsWith(`Hello from ${n} (`)).toBe(true);
        expect(d!.reply.body).toContain(`"content":${JSON.stringify(text)},`);
        expect(JSON.parse(d!.reply.body!).choices[0].message.content).toBe(text);
      }),
      { seed: 12, numRuns: 200 },
    );
  });

  it.each(contexts.map((c, i) => [i, c] as const))("stream events %i", (_i, c) => {
    const events = dialect("openai").streamEvents({ ...c, stream: true });
    const expected = [
      sse(chunk(c, { role: "assistant", content: "" }, null)),
      ...pieces(c.text).map((p) => sse(chunk(c, { content: p }, null))),
    ];
    expect(events.content).toEqual(expected);
    expect(events.closing).toEqual([sse(chunk(c, {}, "stop")), sse("[DONE]")]);
  });

  it.each(ERROR_KINDS)("error body of %s, cached or with a message of its own", (kind) => {
    const d = dialect("openai");
    const once = d.error(kind, ctx);
    expect(d.error(kind, ctx).body).toBe(once.body);
    expect(JSON.parse(once.body!).error.type).toBe(EXPECTED.openai[kind][1]);
    const own = d.error(kind, ctx, { message: "mine" });
    expect(JSON.parse(own.body!).error).toMatchObject({ message: "mine", type: EXPECTED.openai[kind][1] });
  });
});
