import type { Reply } from "../types.ts";
import { bodyRoute, type Dialect, type DialectContext, type ErrorKind, json, pieces, sse } from "./types.ts";
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
};

function completion(ctx: DialectContext) {
  const tokens = pieces(ctx.text).length;
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
    usage: {
      prompt_tokens: 9,
      completion_tokens: tokens,
      total_tokens: 9 + tokens,
    },
    system_fingerprint: "fp_faultline",
  };
}

function chunk(ctx: DialectContext, delta: Record<string, unknown>, finish: string | null) {
  return JSON.stringify({
    id: `chatcmpl-${ctx.requestId}`,
    object: "chat.completion.chunk",
    created: ctx.nowS,
    model: ctx.model,
    system_fingerprint: "fp_faultline",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });
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
    if (!ctx.stream) return json(200, completion(ctx), this.baseHeaders(ctx));
    const { content, closing } = this.streamEvents(ctx);
    return {
      status: 200,
      headers: {
        ...this.baseHeaders(ctx),
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
      },
      chunks: [...content, ...closing].map((data) => ({ data })),
    };
  },

  streamEvents(ctx) {
    const content = [
      sse(chunk(ctx, { role: "assistant", content: "" }, null)),
      ...pieces(ctx.text).map((p) => sse(chunk(ctx, { content: p }, null))),
    ];
    return { content, closing: [sse(chunk(ctx, {}, "stop")), sse("[DONE]")] };
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
    const headers: Record<string, string> = { ...this.baseHeaders(ctx), ...opts.headers };
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
    const body = { error: { message, type: e.type, param: e.param ?? null, code: e.code } };
    return json(e.status, body, headers);
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
