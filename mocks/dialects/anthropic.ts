import type { Reply } from "../types.ts";
import {
  bodyRoute,
  type Dialect,
  type DialectContext,
  type ErrorKind,
  json,
  pieces,
  sse,
  usageOf,
} from "./types.ts";
import { validateAnthropicMessages } from "./validate.ts";

// Statuses and `error.type` values from docs.claude.com/en/api/errors ("HTTP errors", "Error shapes"):
// 400 invalid_request_error, 401 authentication_error, 402 billing_error, 403 permission_error,
// 404 not_found_error, 413 request_too_large, 429 rate_limit_error, 500 api_error, 504 timeout_error,
// 529 overloaded_error; the body is {type:"error", error:{type,message}, request_id}. @anthropic-ai/sdk
// picks its class from the status alone and exposes body.error.type as `APIError.type`
// (node_modules/@anthropic-ai/sdk/src/core/error.ts, APIError.generate).
const ERRORS: Record<
  ErrorKind,
  { status: number; type: string; message: (ctx: DialectContext) => string; details?: Record<string, string> }
> = {
  rate_limit: {
    status: 429,
    type: "rate_limit_error",
    message: () =>
      "This request would exceed the rate limit for your organization of 50 requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.",
  },
  quota: {
    status: 429,
    type: "rate_limit_error",
    message: () =>
      "This request would exceed the rate limit for your organization of 40,000 input tokens per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.",
  },
  server_error: { status: 500, type: "api_error", message: () => "Internal server error" },
  // Anthropic has no 502/503 of its own: a bad gateway is its 500, an unavailable service its 529.
  bad_gateway: { status: 500, type: "api_error", message: () => "Internal server error" },
  unavailable: { status: 529, type: "overloaded_error", message: () => "Overloaded" },
  overloaded: { status: 529, type: "overloaded_error", message: () => "Overloaded" },
  gateway_timeout: { status: 504, type: "timeout_error", message: () => "Request timed out" },
  // A refused prompt surfaces as this 400 (the API's own wording).
  content_policy: {
    status: 400,
    type: "invalid_request_error",
    message: () => "Output blocked by content filtering policy",
  },
  context_length: {
    status: 400,
    type: "invalid_request_error",
    message: () => "prompt is too long: 208310 tokens > 200000 maximum",
  },
  auth: { status: 401, type: "authentication_error", message: () => "invalid x-api-key" },
  permission: {
    status: 403,
    type: "permission_error",
    message: () => "Your API key does not have permission to use the specified resource.",
  },
  not_found: { status: 404, type: "not_found_error", message: (ctx) => `model: ${ctx.model}` },
  bad_request: { status: 400, type: "invalid_request_error", message: () => "messages: Field required" },
  payment_required: {
    status: 402,
    type: "billing_error",
    message: () =>
      "Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.",
  },
  // Sent by Cloudflare before the API (docs: "Request size limits"), still in the API's envelope.
  too_large: {
    status: 413,
    type: "request_too_large",
    message: () => "Request exceeds the maximum allowed number of bytes.",
  },
  // The tier's monthly spend cap (platform.claude.com/docs/api/rate-limits, "spend limits", 2026): a 429
  // rate_limit_error "the same as for a rate limit, but the response has no retry-after header", told
  // apart by error.details.error_code; retrying, the SDKs' own retries included, fails until the month ends.
  quota_exhausted: {
    status: 429,
    type: "rate_limit_error",
    message: (ctx) =>
      `You have reached your API usage limits: your organization has crossed its monthly API usage threshold, set based on your organization's API tier. You will regain access on ${nextMonth(ctx.nowS)} at 00:00 UTC.`,
    details: { error_code: "enforced_spend_limit_reached" },
  },
};

/** The first day of the month after `epochS`, as YYYY-MM-DD (when a spend cap lifts). */
function nextMonth(epochS: number): string {
  const d = new Date(epochS * 1000);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)).toISOString().slice(0, 10);
}

/** RFC 3339 without fractional seconds, as the anthropic-ratelimit-*-reset headers carry it. */
function rfc3339(epochS: number): string {
  return new Date(epochS * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function message(ctx: DialectContext) {
  const u = usageOf(ctx);
  return {
    id: `msg_${ctx.requestId}`,
    type: "message",
    role: "assistant",
    model: ctx.model,
    content: [{ type: "text", text: ctx.text }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: { input_tokens: u.promptTokens, output_tokens: u.completionTokens },
  };
}

function event(type: string, data: Record<string, unknown>): string {
  return sse(JSON.stringify({ type, ...data }), type);
}

export const anthropic: Dialect = {
  id: "anthropic",

  route: bodyRoute("/v1/messages"),

  baseHeaders(ctx) {
    // docs.claude.com/en/api/rate-limits ("Response headers"): counters per window, resets in RFC 3339.
    const reset = rfc3339(ctx.nowS + 60);
    return {
      "request-id": `req_${ctx.requestId}`,
      "anthropic-organization-id": "00000000-0000-4000-8000-000000000000",
      "anthropic-ratelimit-requests-limit": "50",
      "anthropic-ratelimit-requests-remaining": "49",
      "anthropic-ratelimit-requests-reset": reset,
      "anthropic-ratelimit-tokens-limit": "48000",
      "anthropic-ratelimit-tokens-remaining": "48000",
      "anthropic-ratelimit-tokens-reset": reset,
      "anthropic-ratelimit-input-tokens-limit": "40000",
      "anthropic-ratelimit-input-tokens-remaining": "40000",
      "anthropic-ratelimit-input-tokens-reset": reset,
      "anthropic-ratelimit-output-tokens-limit": "8000",
      "anthropic-ratelimit-output-tokens-remaining": "8000",
      "anthropic-ratelimit-output-tokens-reset": reset,
    };
  },

  success(ctx) {
    if (!ctx.stream) return json(200, message(ctx), this.baseHeaders(ctx));
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

  completionId: (ctx) => `msg_${ctx.requestId}`,

  // message_start carries the input tokens, message_delta the output tokens.
  streamUsage: () => true,

  streamEvents(ctx) {
    // Event flow from docs.claude.com/en/docs/build-with-claude/streaming ("Event types"). Every event
    // is named: @anthropic-ai/sdk skips events without a name (src/core/streaming.ts, fromSSEResponse).
    const m = message(ctx);
    const content = [
      event("message_start", {
        message: {
          ...m,
          content: [],
          stop_reason: null,
          usage: { input_tokens: m.usage.input_tokens, output_tokens: 1 },
        },
      }),
      event("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
      event("ping", {}),
      ...pieces(ctx.text).map((text) =>
        event("content_block_delta", { index: 0, delta: { type: "text_delta", text } }),
      ),
    ];
    const closing = [
      event("content_block_stop", { index: 0 }),
      event("message_delta", {
        delta: { stop_reason: "end_turn", stop_sequence: null },
        usage: { output_tokens: m.usage.output_tokens },
      }),
      event("message_stop", {}),
    ];
    return { content, closing };
  },

  streamError(ctx, kind) {
    // A failure after the 200 is an `error` event (streaming docs, "Error events"); the SDK's iterator
    // throws APIError with `type` = error.type (src/core/streaming.ts).
    const e = ERRORS[kind];
    return event("error", { error: { type: e.type, message: e.message(ctx) } });
  },

  error(kind, ctx, opts = {}) {
    const e = ERRORS[kind];
    const headers: Record<string, string> = { ...this.baseHeaders(ctx), ...opts.headers };
    if (e.status === 429 && !e.details) {
      const window = kind === "quota" ? "input-tokens" : "requests";
      headers[`anthropic-ratelimit-${window}-remaining`] = "0";
      headers[`anthropic-ratelimit-${window}-reset`] = rfc3339(ctx.nowS + (opts.retryAfterS ?? 60));
    }
    const body = {
      type: "error",
      error: {
        type: e.type,
        message: opts.message ?? e.message(ctx),
        ...(e.details ? { details: e.details } : {}),
      },
      request_id: `req_${ctx.requestId}`,
    };
    return json(e.status, body, headers);
  },

  models(ctx, models) {
    const data = models.map((id) => ({
      type: "model",
      id,
      display_name: id,
      created_at: "2025-02-19T00:00:00Z",
    }));
    return json(
      200,
      { data, has_more: false, first_id: models[0] ?? null, last_id: models.at(-1) ?? null },
      this.baseHeaders(ctx),
    );
  },

  validate: validateAnthropicMessages,

  unknownRoute(ctx): Reply {
    return json(
      404,
      {
        type: "error",
        error: { type: "not_found_error", message: "Not Found" },
        request_id: `req_${ctx.requestId}`,
      },
      this.baseHeaders(ctx),
    );
  },
};
