import type { Reply } from "../types.ts";
import { type Dialect, type DialectContext, type ErrorKind, pieces } from "./types.ts";
import { validateGeminiGenerate } from "./validate.ts";

// Statuses and canonical codes from ai.google.dev/gemini-api/docs/generate-content/api-errors:
// 400 INVALID_ARGUMENT, 403 PERMISSION_DENIED, 404 NOT_FOUND, 429 RESOURCE_EXHAUSTED, 500 INTERNAL,
// 503 UNAVAILABLE, 504 DEADLINE_EXCEEDED; body {error:{code,message,status,details?}}.
// @google/genai raises ApiError{status: HTTP status, message: the JSON body as a string} for any
// 4xx/5xx (node_modules/@google/genai/dist/node/index.mjs, throwErrorIfNotOK).
type Detail = Record<string, unknown>;
interface GeminiError {
  code: number;
  status: string;
  message: (ctx: DialectContext) => string;
  details?: (ctx: DialectContext, retryAfterS?: number) => Detail[];
}

const HELP = {
  "@type": "type.googleapis.com/google.rpc.Help",
  links: [
    {
      description: "Learn more about Gemini API quotas",
      url: "https://ai.google.dev/gemini-api/docs/rate-limits",
    },
  ],
};

/** The 429 details as the API sends them: QuotaFailure, Help, and RetryInfo when it says when to retry. */
function quotaDetails(quotaId: string) {
  return (ctx: DialectContext, retryAfterS?: number): Detail[] => [
    {
      "@type": "type.googleapis.com/google.rpc.QuotaFailure",
      violations: [
        {
          quotaMetric: "generativelanguage.googleapis.com/generate_content_free_tier_requests",
          quotaId,
          quotaDimensions: { location: "global", model: ctx.model },
          quotaValue: "10",
        },
      ],
    },
    HELP,
    ...(retryAfterS !== undefined
      ? [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: `${retryAfterS}s` }]
      : []),
  ];
}

const QUOTA_MESSAGE =
  "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.";

const PREPAY_MESSAGE =
  "Your prepayment credits are depleted. Please go to AI Studio at https://ai.studio/projects to manage your project and billing. Learn more at https://ai.google.dev/gemini-api/docs/billing#prepay.";

const ERRORS: Record<ErrorKind, GeminiError> = {
  rate_limit: {
    code: 429,
    status: "RESOURCE_EXHAUSTED",
    message: () => QUOTA_MESSAGE,
    details: quotaDetails("GenerateRequestsPerMinutePerProjectPerModel-FreeTier"),
  },
  quota: {
    code: 429,
    status: "RESOURCE_EXHAUSTED",
    message: () => QUOTA_MESSAGE,
    details: quotaDetails("GenerateRequestsPerDayPerProjectPerModel-FreeTier"),
  },
  // Prepaid billing that ran dry: a 429 RESOURCE_EXHAUSTED until Google's "API update: Depleted prepay
  // credits now return HTTP 402 instead of 429" (Google AI Developers Forum, 2026), which gives this body
  // and says why: "This change separates retriable errors from ones that require your attention".
  payment_required: { code: 402, status: "RESOURCE_EXHAUSTED", message: () => PREPAY_MESSAGE },
  quota_exhausted: { code: 402, status: "RESOURCE_EXHAUSTED", message: () => PREPAY_MESSAGE },
  server_error: {
    code: 500,
    status: "INTERNAL",
    message: () =>
      "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
  },
  // Google's canonical codes have no 502; the preset keeps its status, the envelope stays Google's.
  bad_gateway: { code: 502, status: "UNAVAILABLE", message: () => "Bad Gateway" },
  unavailable: {
    code: 503,
    status: "UNAVAILABLE",
    message: () => "The model is overloaded. Please try again later.",
  },
  overloaded: {
    code: 503,
    status: "UNAVAILABLE",
    message: () => "The model is overloaded. Please try again later.",
  },
  gateway_timeout: {
    code: 504,
    status: "DEADLINE_EXCEEDED",
    message: () => "Deadline expired before operation could complete.",
  },
  // Gemini usually reports a blocked prompt as a 200 with promptFeedback.blockReason; as an error
  // preset it is the 400 the API uses for a request it refuses.
  content_policy: {
    code: 400,
    status: "INVALID_ARGUMENT",
    message: () => "The request was blocked because it violates the safety policy.",
  },
  context_length: {
    code: 400,
    status: "INVALID_ARGUMENT",
    message: () => "The input token count (1048577) exceeds the maximum number of tokens allowed (1048576).",
  },
  // A wrong API key is a 400 INVALID_ARGUMENT with ErrorInfo reason API_KEY_INVALID, not a 401: the
  // API's own answer, as quoted in e.g. continuedev/continue#10290. `permission` is the 403.
  auth: {
    code: 400,
    status: "INVALID_ARGUMENT",
    message: () => "API key not valid. Please pass a valid API key.",
    details: () => [
      {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        reason: "API_KEY_INVALID",
        domain: "googleapis.com",
        metadata: { service: "generativelanguage.googleapis.com" },
      },
      {
        "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
        locale: "en-US",
        message: "API key not valid. Please pass a valid API key.",
      },
    ],
  },
  permission: {
    code: 403,
    status: "PERMISSION_DENIED",
    message: () => "The caller does not have permission",
  },
  not_found: {
    code: 404,
    status: "NOT_FOUND",
    message: (ctx) =>
      `models/${ctx.model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`,
  },
  bad_request: {
    code: 400,
    status: "INVALID_ARGUMENT",
    message: () => "Request contains an invalid argument.",
  },
  too_large: {
    code: 400,
    status: "INVALID_ARGUMENT",
    message: () => "Request payload size exceeds the limit: 20971520 bytes.",
  },
};

/** Google front ends pretty-print JSON bodies with two spaces and a final newline. */
function pretty(body: unknown): string {
  return `${JSON.stringify(body, null, 2)}\n`;
}

function errorBody(kind: ErrorKind, ctx: DialectContext, retryAfterS?: number, message?: string) {
  const e = ERRORS[kind];
  const details = e.details?.(ctx, retryAfterS);
  return {
    error: {
      code: e.code,
      message: message ?? e.message(ctx),
      status: e.status,
      ...(details ? { details } : {}),
    },
  };
}

function response(ctx: DialectContext, text: string, outputTokens: number, finish: boolean) {
  const prompt = ctx.promptTokens ?? 9;
  return {
    candidates: [
      {
        content: { parts: [{ text }], role: "model" },
        ...(finish ? { finishReason: "STOP" } : {}),
        index: 0,
      },
    ],
    usageMetadata: {
      promptTokenCount: prompt,
      candidatesTokenCount: outputTokens,
      totalTokenCount: prompt + outputTokens,
      promptTokensDetails: [{ modality: "TEXT", tokenCount: prompt }],
    },
    modelVersion: ctx.model,
    responseId: ctx.requestId,
  };
}

/** Gemini frames each SSE event with CRLF pairs (the wire form; @google/genai splits on \r\n\r\n too). */
function event(data: unknown): string {
  return `data: ${JSON.stringify(data)}\r\n\r\n`;
}

function reply(status: number, body: unknown, headers: Record<string, string>): Reply {
  return {
    status,
    headers: { ...headers, "content-type": "application/json; charset=UTF-8" },
    body: pretty(body),
  };
}

const CHAT = /^\/(v1beta|v1)\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;

export const gemini: Dialect = {
  id: "gemini",

  route(method, subpath) {
    const m = CHAT.exec(subpath);
    if (method === "POST" && m) {
      // Without ?alt=sse the API streams a JSON array instead; the mock always answers in SSE.
      return { op: "chat", stream: m[3] === "streamGenerateContent", model: decodeURIComponent(m[2]!) };
    }
    if (method === "GET" && /^\/(v1beta|v1)\/models$/.test(subpath))
      return { op: "models", stream: false, model: "" };
    return undefined;
  },

  baseHeaders() {
    // Gemini sends no request id or rate-limit headers; these are the Google front end's own.
    return {
      vary: "Origin, X-Origin, Referer",
      server: "scaffolding on HTTPServer2",
      "x-xss-protection": "0",
      "x-frame-options": "SAMEORIGIN",
      "x-content-type-options": "nosniff",
      "server-timing": "gfet4t7; dur=412",
    };
  },

  success(ctx) {
    const n = pieces(ctx.text).length;
    if (!ctx.stream) return reply(200, response(ctx, ctx.text, n, true), this.baseHeaders(ctx));
    const { content, closing } = this.streamEvents(ctx);
    return {
      status: 200,
      headers: { ...this.baseHeaders(ctx), "content-type": "text/event-stream" },
      chunks: [...content, ...closing].map((data) => ({ data })),
    };
  },

  completionId: (ctx) => ctx.requestId,

  // Every chunk carries usageMetadata; the last one's counts are the whole answer's.
  streamUsage: () => true,

  streamEvents(ctx) {
    // No terminator: the stream ends after the chunk whose candidate carries finishReason STOP.
    const parts = pieces(ctx.text);
    const content = parts.map((p, i) => event(response(ctx, p, i + 1, false)));
    return { content, closing: [event(response(ctx, "", parts.length, true))] };
  },

  streamError(ctx, kind) {
    // Mid-stream, the API writes the error object as bare (pretty-printed) JSON outside SSE framing
    // (maximhq/bifrost#5262). @google/genai throws ApiError only for a network chunk that parses as JSON
    // with an `error` key; a `data: {"error":…}` event would be yielded as an empty response instead
    // (dist/node/index.mjs, processStreamResponse).
    return pretty(errorBody(kind, ctx));
  },

  error(kind, ctx, opts = {}) {
    const body = errorBody(kind, ctx, opts.retryAfterS, opts.message);
    return reply(ERRORS[kind].code, body, { ...this.baseHeaders(ctx), ...opts.headers });
  },

  models(ctx, models) {
    const list = models.map((id) => ({
      name: `models/${id}`,
      version: "001",
      displayName: id,
      description: `Simulated by Faultline for provider ${ctx.provider}.`,
      inputTokenLimit: 1048576,
      outputTokenLimit: 8192,
      supportedGenerationMethods: ["generateContent", "countTokens"],
      temperature: 1,
      topP: 0.95,
      topK: 40,
      maxTemperature: 2,
    }));
    return reply(200, { models: list }, this.baseHeaders(ctx));
  },

  validate: validateGeminiGenerate,

  unknownRoute(ctx) {
    return reply(
      404,
      { error: { code: 404, message: "Method not found.", status: "NOT_FOUND" } },
      this.baseHeaders(ctx),
    );
  },
};
