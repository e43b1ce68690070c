import type { DialectId, Reply } from "../types.ts";

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
  /** The prompt's size in tokens, as the usage reports it (default 9). */
  promptTokens?: number;
  /** The request asked for usage on its stream (OpenAI's `stream_options.include_usage`). */
  includeUsage?: boolean;
  /**
   * `countPieces(textCounted)`, worked out before the text was built (the engine knows it from the
   * provider's fixed text head). Trusted only while `text` is still that string: a step that changes the
   * text, or a copy of the context with another, is counted afresh.
   */
  completionTokens?: number;
  textCounted?: string;
  /** `JSON.stringify(textCounted)`, built with it from the provider's quoted head; trusted as `completionTokens` is. */
  textCountedJson?: string;
  /**
   * `textCountedJson` is all ASCII; trusted as `completionTokens` is. Set by the engine alone, whose
   * `requestId` is hex: a dialect may then call a body built of these and digits ASCII (mocks/strings.ts).
   */
  textCountedAscii?: boolean;
}

/** Token counts of one completion, as its dialect reports them (the journal keeps them as `usage`). */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

/** What a completion of `ctx.text` costs: the prompt's tokens, and one token per word-ish piece of the text. */
export function usageOf(ctx: DialectContext): Usage {
  const counted = ctx.textCounted === ctx.text ? ctx.completionTokens : undefined;
  return { promptTokens: ctx.promptTokens ?? 9, completionTokens: counted ?? countPieces(ctx.text) };
}

/** `JSON.stringify(ctx.text)`: the engine's own, built with the text, while the text is still that string. */
export function textJson(ctx: DialectContext): string {
  return ctx.textCounted === ctx.text && ctx.textCountedJson !== undefined
    ? ctx.textCountedJson
    : JSON.stringify(ctx.text);
}

/** Whether `textJson(ctx)` is known to be all ASCII without looking: the engine's own text, of an ASCII provider name. */
export function textJsonAscii(ctx: DialectContext): boolean {
  return ctx.textCounted === ctx.text && ctx.textCountedAscii === true && ctx.textCountedJson !== undefined;
}

/** `pieces(text).length` without building the pieces: a scan, once per answer. */
export function countPieces(text: string): number {
  let n = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const word = !isSpace(text.charCodeAt(i));
    if (word && !inWord) n++;
    inWord = word;
  }
  return n === 0 ? 1 : n;
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
  /** The account is out of money or quota: asking this provider again cannot succeed (docs/contract.md §29). */
  "quota_exhausted",
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
  /** OpenAI's `stream_options.include_usage`: the stream ends with a usage chunk. */
  includeUsage?: boolean;
}

export interface Dialect {
  id: DialectId;
  /**
   * Recognises this dialect's native path (below the provider prefix); undefined for anything else. A
   * function of these three alone, with no headers or query: the engine keeps the route of a body the
   * provider's next request repeats (MockEngine.read), so anything else it read would go stale.
   */
  route(method: string, subpath: string, body: unknown): Route | undefined;
  /** A successful answer: JSON, or a whole SSE stream when `ctx.stream`. */
  success(ctx: DialectContext): Reply;
  /** The id a successful answer carries (`chatcmpl-…`, `msg_…`, `responseId`): unique per attempt. */
  completionId?(ctx: DialectContext): string;
  /** Whether a successful stream reports usage (OpenAI's only when the request asks for it). */
  streamUsage?(ctx: DialectContext): boolean;
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
  return (method, subpath, body) => {
    const b = (body ?? {}) as { model?: unknown; stream?: unknown; stream_options?: unknown };
    if (method === "POST" && subpath === chatPath) {
      const route: Route = {
        op: "chat",
        stream: b.stream === true,
        model: typeof b.model === "string" ? b.model : "unknown",
      };
      const options = b.stream_options as { include_usage?: unknown } | null | undefined;
      if (route.stream && options?.include_usage === true) route.includeUsage = true;
      return route;
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
 * Splits text into word-ish pieces (`\S+\s*`) so streams have several content chunks. Every attempt's
 * text differs from the one before only in its last word (the attempt's tag), so the rest is split once
 * and cached (bounded); callers read the array and never change it.
 */
export function pieces(text: string): readonly string[] {
  const cut = lastWordStart(text);
  if (cut <= 0) return piecesOfWhole(text);
  const head = piecesOfWhole(text.slice(0, cut));
  const out = new Array<string>(head.length + 1);
  for (let i = 0; i < head.length; i++) out[i] = head[i]!;
  out[head.length] = text.slice(cut);
  return out;
}
const piecesOf = new Map<string, readonly string[]>();
function piecesOfWhole(text: string): readonly string[] {
  let p = piecesOf.get(text);
  if (!p) {
    p = Object.freeze(text.match(/\S+\s*/g) ?? [text]);
    if (piecesOf.size >= 256) piecesOf.clear();
    piecesOf.set(text, p);
  }
  return p;
}

/** Where the last `\S+\s*` piece starts: 0 when the text is one piece (or none). A scan, not a regex. */
function lastWordStart(text: string): number {
  let i = text.length;
  while (i > 0 && isSpace(text.charCodeAt(i - 1))) i--;
  while (i > 0 && !isSpace(text.charCodeAt(i - 1))) i--;
  const cut = i;
  // Only whitespace before the last word: the text is one piece.
  while (i > 0 && isSpace(text.charCodeAt(i - 1))) i--;
  return i === 0 ? 0 : cut;
}

/** The characters `\s` matches in a JavaScript regular expression. */
function isSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}
