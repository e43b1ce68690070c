import type { DialectId, MockRequest, Reply } from "../types.ts";

/** What a dialect needs to render one answer. */
export interface DialectContext {
  provider: string;
  model: string;
  stream: boolean;
  requestId: string;
  /** The completion text an `ok` answer carries. */
  text: string;
  /** Seconds since the epoch, for `created` fields. */
  nowS: number;
}

/** Native error kinds every dialect can render. Step presets map onto these. */
export const ERROR_KINDS = [
  "rate_limit",
  "quota",
  "server_error",
  "bad_gateway",
  "unavailable",
  "gateway_timeout",
  "overloaded",
  "content_policy",
  "context_length",
  "auth",
  "permission",
  "not_found",
  "bad_request",
  "payment_required",
  "too_large",
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

export interface ErrorOptions {
  /** Headers the step decided on (Retry-After and friends); the dialect adds its native ones. */
  headers?: Record<string, string>;
  /** Seconds the client should wait, for dialects that also say it in the body (Gemini RetryInfo). */
  retryAfterS?: number;
  message?: string;
}

export interface Route {
  op: "chat" | "models";
  stream: boolean;
  model: string;
}

export interface Dialect {
  id: DialectId;
  /** Recognises this dialect's native path (below the provider prefix); undefined for anything else. */
  route(method: string, subpath: string, req: MockRequest, body: unknown): Route | undefined;
  /** A successful answer: JSON, or a whole SSE stream when `ctx.stream`. */
  success(ctx: DialectContext): Reply;
  /** Framed SSE events of a successful stream: content events, then the closing ones. */
  streamEvents(ctx: DialectContext): { content: string[]; closing: string[] };
  /** The framed SSE event this dialect sends when a stream fails midway. */
  streamError(ctx: DialectContext, kind: ErrorKind): string;
  /** A native error answer with the status and headers the real provider uses. */
  error(kind: ErrorKind, ctx: DialectContext, opts?: ErrorOptions): Reply;
  /** The model list. */
  models(ctx: DialectContext, models: string[]): Reply;
  /**
   * What the real provider refuses before doing any work: a body that breaks its schema. Undefined when
   * the request is acceptable. The engine also refuses models the provider does not serve.
   */
  validate?(body: unknown): { kind: ErrorKind; message: string } | undefined;
  /** Answer to a path this dialect does not serve. */
  unknownRoute(ctx: DialectContext): Reply;
  /** Headers every answer of this provider carries (request id, rate-limit counters). */
  baseHeaders(ctx: DialectContext): Record<string, string>;
}

/**
 * The route() of a dialect whose chat endpoint names the model and `stream` in the JSON body
 * (OpenAI, Anthropic), with the models list at `GET /v1/models`.
 */
export function bodyRoute(chatPath: string): Dialect["route"] {
  return (method, subpath, _req, body) => {
    const b = (body ?? {}) as { model?: unknown; stream?: unknown };
    if (method === "POST" && subpath === chatPath) {
      return {
        op: "chat",
        stream: b.stream === true,
        model: typeof b.model === "string" ? b.model : "unknown",
      };
    }
    if (method === "GET" && subpath === "/v1/models") return { op: "models", stream: false, model: "" };
    return undefined;
  };
}

export function sse(data: string, event?: string): string {
  return `${event ? `event: ${event}\n` : ""}data: ${data}\n\n`;
}

export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Pick<Reply, "status" | "headers" | "body"> {
  return { status, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) };
}

/**
 * Splits text into word-ish pieces so streams have several content chunks. Cached, as the same few
 * texts come back on every answer: the array is shared, so callers read it and never change it.
 */
export function pieces(text: string): readonly string[] {
  let p = piecesOf.get(text);
  if (!p) {
    p = Object.freeze(text.match(/\S+\s*/g) ?? [text]);
    if (piecesOf.size >= 256) piecesOf.clear();
    piecesOf.set(text, p);
  }
  return p;
}
const piecesOf = new Map<string, readonly string[]>();
