import { z } from "zod";
import type { Dialect, DialectContext, ErrorKind } from "./dialects/types.ts";
import type { Reply } from "./types.ts";

/** What a step sees when it decides one attempt. */
export interface StepContext extends DialectContext {
  dialect: Dialect;
  attempt: number;
  /** Seeded per plan and provider, so the same plan gives the same outcomes. */
  random: () => number;
}

/** A fault or answer: a small named unit, its parameters typed, units in their names. */
// biome-ignore lint/suspicious/noExplicitAny: a registry holds steps of every parameter type
export interface StepDef<P extends z.ZodObject<any> = z.ZodObject<any>> {
  id: string;
  summary: string;
  params: P;
  reply(ctx: StepContext, params: z.output<P>): Reply;
}

/** Infers a step's parameter type from its schema. */
// biome-ignore lint/suspicious/noExplicitAny: see StepDef
export function defineStep<P extends z.ZodObject<any>>(def: StepDef<P>): StepDef {
  return def as unknown as StepDef;
}

const common = { delayMs: z.number().int().min(0).max(600_000).optional() };
const noParams = z.object(common).strict();
const retryAfterParams = z
  .object({
    ...common,
    /** How Retry-After is written: delta-seconds, an HTTP-date, or not at all. */
    retryAfter: z.enum(["seconds", "http-date", "none"]).optional(),
    retryAfterS: z.number().int().min(0).max(86_400).optional(),
    /** Also send OpenAI's `retry-after-ms`. */
    retryAfterMs: z.number().int().min(0).optional(),
  })
  .strict();
type RetryAfterParams = z.infer<typeof retryAfterParams>;

/** Retry-After as RFC 9110 §10.2.3 allows: delta-seconds or an HTTP-date. */
export function retryAfterHeaders(
  p: RetryAfterParams,
  defaultMode: "seconds" | "none",
): {
  headers: Record<string, string>;
  retryAfterS?: number;
} {
  const mode = p.retryAfter ?? defaultMode;
  const seconds = p.retryAfterS ?? 1;
  const headers: Record<string, string> = {};
  if (p.retryAfterMs !== undefined) headers["retry-after-ms"] = String(p.retryAfterMs);
  if (mode === "none") return { headers };
  headers["retry-after"] =
    mode === "seconds" ? String(seconds) : new Date(Date.now() + seconds * 1000 + 999).toUTCString();
  return { headers, retryAfterS: seconds };
}

function errorStep(
  id: string,
  kind: ErrorKind,
  summary: string,
  retryDefault: "seconds" | "none" = "none",
): StepDef {
  return defineStep({
    id,
    summary,
    params: retryAfterParams,
    reply(ctx, p) {
      const ra = retryAfterHeaders(p, retryDefault);
      return { ...ctx.dialect.error(kind, ctx, ra), delayMs: p.delayMs };
    },
  });
}

const afterChunks = z
  .object({ ...common, afterChunks: z.number().int().min(0).max(1000).optional() })
  .strict();

function streamOrBody(ctx: StepContext, n: number): { chunks: string[]; headers: Record<string, string> } {
  const ok = ctx.dialect.success({ ...ctx, stream: true });
  const { content } = ctx.dialect.streamEvents(ctx);
  return { chunks: content.slice(0, n), headers: ok.headers };
}

export const STEPS: StepDef[] = [
  defineStep({
    id: "ok",
    summary: "answer successfully, JSON or stream as the request asks",
    params: z.object({ ...common, text: z.string().max(10_000).optional() }).strict(),
    reply: (ctx, p) => ({
      ...ctx.dialect.success(p.text ? { ...ctx, text: p.text } : ctx),
      delayMs: p.delayMs,
    }),
  }),
  defineStep({
    id: "rate_limit",
    summary: "429 with Retry-After (seconds by default, http-date, or none)",
    params: retryAfterParams.extend({
      variant: z.enum(["rate_limit_exceeded", "insufficient_quota"]).optional(),
    }),
    reply(ctx, p) {
      const ra = retryAfterHeaders(p, "seconds");
      const kind = p.variant === "insufficient_quota" ? "quota" : "rate_limit";
      return { ...ctx.dialect.error(kind, ctx, ra), delayMs: p.delayMs };
    },
  }),
  errorStep("server_error", "server_error", "500 internal error"),
  errorStep("bad_gateway", "bad_gateway", "502 bad gateway"),
  errorStep("unavailable", "unavailable", "503 service unavailable"),
  errorStep("gateway_timeout", "gateway_timeout", "504 gateway timeout"),
  errorStep("overloaded", "overloaded", "overloaded (Anthropic 529; 503 elsewhere)"),
  errorStep("content_policy", "content_policy", "400 content policy violation (not retryable)"),
  errorStep("context_length", "context_length", "400 context length exceeded (not retryable)"),
  errorStep("auth", "auth", "401 the provider refused the gateway's credential"),
  errorStep("permission", "permission", "403 permission denied"),
  errorStep("not_found", "not_found", "404 model not found"),
  defineStep({
    id: "status",
    summary: "a raw status with a body of your choice",
    params: z
      .object({
        ...common,
        status: z.number().int().min(100).max(599),
        body: z.string().max(100_000).optional(),
      })
      .strict(),
    reply: (ctx, p) => ({
      status: p.status,
      headers: { ...ctx.dialect.baseHeaders(ctx), "content-type": "application/json" },
      body: p.body ?? JSON.stringify({ error: { message: `status ${p.status}` } }),
      delayMs: p.delayMs,
    }),
  }),
  defineStep({
    id: "hang",
    summary: "accept the request and never answer, until the client gives up",
    params: noParams,
    reply: (_ctx, p) => ({ status: 0, headers: {}, fault: "hang", delayMs: p.delayMs }),
  }),
  defineStep({
    id: "reset",
    summary: "TCP RST before any byte",
    params: noParams,
    reply: (_ctx, p) => ({ status: 0, headers: {}, fault: "reset", delayMs: p.delayMs }),
  }),
  defineStep({
    id: "empty",
    summary: "close the connection with no bytes",
    params: noParams,
    reply: (_ctx, p) => ({ status: 0, headers: {}, fault: "empty", delayMs: p.delayMs }),
  }),
  defineStep({
    id: "garbage",
    summary: "200 with a body that is not JSON",
    params: noParams,
    reply: (ctx, p) => ({
      status: 200,
      headers: { ...ctx.dialect.baseHeaders(ctx), "content-type": "text/html" },
      body: "<html><body>502 upstream hiccup \u0000\u00ff</body></html>",
      delayMs: p.delayMs,
    }),
  }),
  defineStep({
    id: "malformed_json",
    summary: "200 with a JSON content-type and a truncated JSON body",
    params: noParams,
    reply(ctx, p) {
      const ok = ctx.dialect.success({ ...ctx, stream: false });
      const body = ok.body ?? "{}";
      return { ...ok, body: body.slice(0, Math.max(1, Math.floor(body.length / 2))), delayMs: p.delayMs };
    },
  }),
  defineStep({
    id: "stream_cut",
    summary: "stream N content chunks, then destroy the socket without a terminator",
    params: afterChunks,
    reply(ctx, p) {
      const s = streamOrBody(ctx, p.afterChunks ?? 1);
      return {
        status: 200,
        headers: s.headers,
        chunks: s.chunks.map((data) => ({ data })),
        end: "cut",
        delayMs: p.delayMs,
      };
    },
  }),
  defineStep({
    id: "close_clean",
    summary: "stream N content chunks, then end the response cleanly without the dialect's terminator",
    params: afterChunks,
    reply(ctx, p) {
      const s = streamOrBody(ctx, p.afterChunks ?? 1);
      return {
        status: 200,
        headers: s.headers,
        chunks: s.chunks.map((data) => ({ data })),
        end: "finish",
        delayMs: p.delayMs,
      };
    },
  }),
  defineStep({
    id: "stream_error",
    summary: "stream N content chunks, then the dialect's mid-stream error event",
    params: afterChunks.extend({ kind: z.enum(["server_error", "overloaded", "rate_limit"]).optional() }),
    reply(ctx, p) {
      const s = streamOrBody(ctx, p.afterChunks ?? 1);
      const err = ctx.dialect.streamError(ctx, p.kind ?? "server_error");
      return {
        status: 200,
        headers: s.headers,
        chunks: [...s.chunks, err].map((data) => ({ data })),
        end: "finish",
        delayMs: p.delayMs,
      };
    },
  }),
];

const BY_ID = new Map<string, StepDef>();
for (const s of STEPS) registerStep(s);

/** Registers a step; an id registered twice is a programming error. */
export function registerStep(s: StepDef): void {
  if (BY_ID.has(s.id)) throw new Error(`step "${s.id}" is registered twice`);
  BY_ID.set(s.id, s);
}

export function stepDef(id: string): StepDef | undefined {
  return BY_ID.get(id);
}

export function stepIds(): string[] {
  return [...BY_ID.keys()];
}
