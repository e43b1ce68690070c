import { builtAscii, flat, isAscii } from "../strings.ts";
import type { Reply } from "../types.ts";
import {
  bodyRoute,
  type Dialect,
  type DialectContext,
  type ErrorKind,
  json,
  pieces,
  sse,
  textJson,
  textJsonAscii,
  usageOf,
} from "./types.ts";
import { validateOpenAiChat } from "./validate.ts";

// Error bodies follow OpenAI's documented shape {error:{message,type,param,code}}; the `code` values
// (rate_limit_exceeded, insufficient_quota, invalid_api_key, context_length_exceeded,
// content_policy_violation, model_not_found) are the ones the API returns and openai-node surfaces as
// `APIError.code`. openai-node picks its error class from the status alone (src/core/error.ts:
// 400 BadRequestError, 401 AuthenticationError, 403 PermissionDeniedError, 404 NotFoundError,
// 429 RateLimitError, >=500 InternalServerError).
const ERRORS: Record<
  ErrorKind,
  { status: number; type: string; code: string | null; message: string; param?: string }
> = {
  rate_limit: {
    status: 429,
    type: "requests",
    code: "rate_limit_exceeded",
    message:
      "Rate limit reached for requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 1s.",
  },
  quota: {
    status: 429,
    type: "insufficient_quota",
    code: "insufficient_quota",
    message: "You exceeded your current quota, please check your plan and billing details.",
  },
  server_error: {
    status: 500,
    type: "server_error",
    code: null,
    message: "The server had an error while processing your request. Sorry about that!",
  },
  bad_gateway: { status: 502, type: "server_error", code: null, message: "Bad gateway." },
  unavailable: {
    status: 503,
    type: "server_error",
    code: null,
    message: "The engine is currently overloaded, please try again later.",
  },
  gateway_timeout: { status: 504, type: "server_error", code: null, message: "Gateway timeout." },
  // OpenAI has no 529; an "overloaded" preset on an OpenAI provider is its 503.
  overloaded: {
    status: 503,
    type: "server_error",
    code: null,
    message: "The engine is currently overloaded, please try again later.",
  },
  content_policy: {
    status: 400,
    type: "invalid_request_error",
    code: "content_policy_violation",
    message: "Your request was rejected as a result of our safety system.",
  },
  context_length: {
    status: 400,
    type: "invalid_request_error",
    code: "context_length_exceeded",
    param: "messages",
    message:
      "This model's maximum context length is 8192 tokens. However, your messages resulted in 9001 tokens. Please reduce the length of the messages.",
  },
  auth: {
    status: 401,
    type: "invalid_request_error",
    code: "invalid_api_key",
    message:
      "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
  },
  permission: {
    status: 403,
    type: "invalid_request_error",
    code: "unsupported_country_region_territory",
    message: "Country, region, or territory not supported",
  },
  not_found: {
    status: 404,
    type: "invalid_request_error",
    code: "model_not_found",
    message: "The model does not exist or you do not have access to it.",
  },
  bad_request: { status: 400, type: "invalid_request_error", code: null, message: "Invalid request." },
  payment_required: {
    status: 429,
    type: "insufficient_quota",
    code: "insufficient_quota",
    message: "You exceeded your current quota, please check your plan and billing details.",
  },
  too_large: { status: 413, type: "invalid_request_error", code: null, message: "Request entity too large." },
  // OpenAI's help center ("Troubleshooting API rate limits and 429 errors", 2026): a 429 can mean an
  // exhausted balance or a spend limit, and "billing-related errors can still use the broader error.type
  // value insufficient_quota"; "retrying a billing, spending, or quota error does not restore access".
  // The newer codes (credit_balance_exhausted, organization_spend_limit_exceeded, …) share that type.
  quota_exhausted: {
    status: 429,
    type: "insufficient_quota",
    code: "insufficient_quota",
    message: "You exceeded your current quota, please check your plan and billing details.",
  },
};

/** The completion object; `completionJson` writes the same bytes faster. */
export function completion(ctx: DialectContext) {
  const u = usageOf(ctx);
  return {
    id: `chatcmpl-${ctx.requestId}`,
    object: "chat.completion",
    created: ctx.nowS,
    model: ctx.model,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: ctx.text, refusal: null },
        finish_reason: "stop",
        logprobs: null,
      },
    ],
    usage: usageJson(u.promptTokens, u.completionTokens),
    system_fingerprint: "fp_faultline",
  };
}

function usageJson(prompt: number, completion: number) {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/**
 * One stream chunk; `streamEvents` writes the same bytes faster. With `include_usage` every chunk carries
 * `usage: null`, and a last chunk with no choices carries the usage (platform.openai.com/docs/api-reference/
 * chat/create, `stream_options.include_usage`).
 */
export function chunk(ctx: DialectContext, delta: Record<string, unknown>, finish: string | null) {
  return JSON.stringify({
    id: `chatcmpl-${ctx.requestId}`,
    object: "chat.completion.chunk",
    created: ctx.nowS,
    model: ctx.model,
    system_fingerprint: "fp_faultline",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(ctx.includeUsage ? { usage: null } : {}),
  });
}

/** The usage chunk that ends a stream which asked for `include_usage`. */
export function usageChunk(ctx: DialectContext) {
  const u = usageOf(ctx);
  return JSON.stringify({
    id: `chatcmpl-${ctx.requestId}`,
    object: "chat.completion.chunk",
    created: ctx.nowS,
    model: ctx.model,
    system_fingerprint: "fp_faultline",
    choices: [],
    usage: usageJson(u.promptTokens, u.completionTokens),
  });
}

// Every answer is built per request, and most of it never changes: the parts that do not depend on
// the request are serialised once and cached (bounded), and only the id, time and model are written
// per answer. test/dialects.test.ts holds the fast forms to the JSON.stringify of the objects above.
// The caches are looked up before anything is built, with no closure per call: these run per answer.
const CACHE_MAX = 256;
function remember<K, V>(map: Map<K, V>, key: K, value: V): V {
  if (map.size >= CACHE_MAX) map.clear();
  map.set(key, value);
  return value;
}

/** JSON of a string, cached: model names and texts repeat across requests. */
const quoted = new Map<string, string>();
function q(s: string): string {
  return quoted.get(s) ?? remember(quoted, s, JSON.stringify(s));
}

/**
 * The parts of a completion's JSON that repeat from one answer to the next, each kept with what it was
 * made from: the middle (time, model) changes once a second, the tail (token counts) when the prompt's
 * size does. A body of five parts is joined with four concatenations where the template took fourteen,
 * and node flattens a shallower rope when it writes it.
 */
let middleFor = { nowS: -1, model: "" };
let middle = "";
let middleAscii = true;
let tailFor = { p: -1, c: -1 };
let tail = "";

// Every attempt has its own text (its tag), so the completion is written, not cached. The request id is
// the engine's own hex (engine.ts, context): it is quoted, never escaped. When the model's JSON and the
// text's are ASCII, so is the whole body, and the transport is told (mocks/strings.ts).
export function completionJson(ctx: DialectContext): string {
  const u = usageOf(ctx);
  const p = u.promptTokens;
  const c = u.completionTokens;
  if (ctx.nowS !== middleFor.nowS || ctx.model !== middleFor.model) {
    const model = q(ctx.model);
    middle = flat(
      `","object":"chat.completion","created":${ctx.nowS},"model":${model},"choices":[{"index":0,"message":{"role":"assistant","content":`,
    );
    middleAscii = isAscii(model);
    middleFor = { nowS: ctx.nowS, model: ctx.model };
  }
  if (p !== tailFor.p || c !== tailFor.c) {
    tail = flat(
      `,"refusal":null},"finish_reason":"stop","logprobs":null}],"usage":{"prompt_tokens":${p},"completion_tokens":${c},"total_tokens":${p + c}},"system_fingerprint":"fp_faultline"}`,
    );
    tailFor = { p, c };
  }
  const body = `{"id":"chatcmpl-${ctx.requestId}${middle}${textJson(ctx)}${tail}`;
  return middleAscii && textJsonAscii(ctx) ? builtAscii(body) : body;
}

/** Framed SSE events of one stream: the per-request head is written once, each delta is cached. */
const deltas = new Map<string, string>();
function deltaJson(content: string): string {
  return deltas.get(content) ?? remember(deltas, content, JSON.stringify({ content }));
}
const DONE = flat(sse("[DONE]"));
const ROLE_DELTA = JSON.stringify({ role: "assistant", content: "" });
/** What every chunk of one stream starts with, up to its delta: flat, as every chunk copies it. */
function chunkHead(ctx: DialectContext): string {
  return flat(
    `data: {"id":"chatcmpl-${ctx.requestId}","object":"chat.completion.chunk","created":${ctx.nowS},"model":${q(ctx.model)},"system_fingerprint":"fp_faultline","choices":[{"index":0,"delta":`,
  );
}
function chunkEvent(head: string, delta: string, finish: string | null, usageNull = false): string {
  return `${head}${delta},"logprobs":null,"finish_reason":${finish === null ? "null" : q(finish)}}]${usageNull ? ',"usage":null' : ""}}\n\n`;
}

/** Error bodies depend on the kind and the message only (a message names its kind's type and code). */
const KIND_BODIES: Partial<Record<ErrorKind, string>> = {};
const errorBodies = new Map<string, string>();

/** The headers of every answer, as one object literal: no spread, no merge, the same order as before. */
function headersFor(ctx: DialectContext, contentType: string): Record<string, string> {
  return {
    "content-type": contentType,
    "x-request-id": flat(`req_${ctx.requestId}`),
    "openai-processing-ms": "12",
    "openai-version": "2020-10-01",
    "x-ratelimit-limit-requests": "10000",
    "x-ratelimit-remaining-requests": "9999",
    "x-ratelimit-reset-requests": "6ms",
    "x-ratelimit-limit-tokens": "2000000",
    "x-ratelimit-remaining-tokens": "1999990",
    "x-ratelimit-reset-tokens": "0s",
  };
}

export const openai: Dialect = {
  id: "openai",

  route: bodyRoute("/v1/chat/completions"),

  baseHeaders(ctx) {
    // x-ratelimit-* as OpenAI sends them: reset values are duration strings ("6m0s", "1s").
    return {
      "x-request-id": `req_${ctx.requestId}`,
      "openai-processing-ms": "12",
      "openai-version": "2020-10-01",
      "x-ratelimit-limit-requests": "10000",
      "x-ratelimit-remaining-requests": "9999",
      "x-ratelimit-reset-requests": "6ms",
      "x-ratelimit-limit-tokens": "2000000",
      "x-ratelimit-remaining-tokens": "1999990",
      "x-ratelimit-reset-tokens": "0s",
    };
  },

  success(ctx) {
    if (!ctx.stream)
      return { status: 200, headers: headersFor(ctx, "application/json"), body: completionJson(ctx) };
    const { content, closing } = this.streamEvents(ctx);
    const headers = headersFor(ctx, "text/event-stream; charset=utf-8");
    headers["cache-control"] = "no-cache";
    const chunks = new Array(content.length + closing.length);
    for (let i = 0; i < content.length; i++) chunks[i] = { data: content[i] };
    for (let i = 0; i < closing.length; i++) chunks[content.length + i] = { data: closing[i] };
    return { status: 200, headers, chunks };
  },

  completionId: (ctx) => `chatcmpl-${ctx.requestId}`,

  streamUsage: (ctx) => ctx.includeUsage === true,

  streamEvents(ctx) {
    const head = chunkHead(ctx);
    const words = pieces(ctx.text);
    const u = ctx.includeUsage === true;
    const last = words.length - 1;
    const content = new Array<string>(words.length + 1);
    content[0] = chunkEvent(head, ROLE_DELTA, null, u);
    // The last word is the attempt's own tag: written, not cached.
    for (let i = 0; i < last; i++) content[i + 1] = chunkEvent(head, deltaJson(words[i]!), null, u);
    if (last >= 0) content[last + 1] = chunkEvent(head, JSON.stringify({ content: words[last] }), null, u);
    const stop = chunkEvent(head, "{}", "stop", u);
    return { content, closing: u ? [stop, sse(usageChunk(ctx)), DONE] : [stop, DONE] };
  },

  streamError(_ctx, kind) {
    // OpenAI reports a failure inside a stream as a data line carrying an error object.
    const e = ERRORS[kind];
    return sse(
      JSON.stringify({ error: { message: e.message, type: e.type, param: e.param ?? null, code: e.code } }),
    );
  },

  error(kind, ctx, opts = {}) {
    const e = ERRORS[kind];
    const headers = headersFor(ctx, "application/json");
    if (opts.headers) for (const k in opts.headers) headers[k] = opts.headers[k]!;
    if (e.status === 429) {
      headers["x-ratelimit-remaining-requests"] = "0";
      headers["x-ratelimit-reset-requests"] =
        opts.retryAfterS !== undefined ? `${opts.retryAfterS}s` : "6m0s";
    }
    // The API names the model it could not find: "The model `gpt-x` does not exist or you do not have
    // access to it." (the message openai-node surfaces as NotFoundError.message).
    const message =
      opts.message ??
      (kind === "not_found"
        ? `The model \`${ctx.model}\` does not exist or you do not have access to it.`
        : e.message);
    // A storm answers the same kind with the same message over and over: one body per kind. (No
    // closure here: this runs for every error answer.)
    let body: string | undefined;
    if (message === e.message) body = KIND_BODIES[kind];
    else body = errorBodies.get(`${kind}\u0000${message}`);
    if (body === undefined) {
      body = JSON.stringify({ error: { message, type: e.type, param: e.param ?? null, code: e.code } });
      if (message === e.message) KIND_BODIES[kind] = body;
      else remember(errorBodies, `${kind}\u0000${message}`, body);
    }
    return { status: e.status, headers, body };
  },

  models(ctx, models) {
    return json(
      200,
      {
        object: "list",
        data: models.map((id) => ({ id, object: "model", created: 1700000000, owned_by: ctx.provider })),
      },
      this.baseHeaders(ctx),
    );
  },

  validate: validateOpenAiChat,

  unknownRoute(ctx): Reply {
    return json(
      404,
      { error: { message: "Invalid URL", type: "invalid_request_error", param: null, code: null } },
      this.baseHeaders(ctx),
    );
  },
};
