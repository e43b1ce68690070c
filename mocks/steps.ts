import type { z } from "zod";
import { BLOCK_REASONS, promptBlocked } from "./dialects/blocked.ts";
import type { Dialect, DialectContext, ErrorKind } from "./dialects/types.ts";
import { drawLatencyMs, flatLatencyFields, latencySpec, pickLatency, refineFlatLatency } from "./latency.ts";
import { once, zod } from "./lazy.ts";
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
  /** The parameters' schema (zod). */
  readonly params: P;
  reply(ctx: StepContext, params: z.output<P>): Reply;
}

/**
 * Infers a step's parameter type from its schema. `params` may be a function that builds the schema:
 * it runs on first use, so a mock that never validates a plan never loads zod.
 */
// biome-ignore lint/suspicious/noExplicitAny: see StepDef
export function defineStep<P extends z.ZodObject<any>>(
  def: Omit<StepDef<P>, "params"> & { params: P | (() => P) },
): StepDef {
  const { params } = def;
  if (typeof params !== "function") return def as unknown as StepDef;
  const schema = once(params);
  return {
    id: def.id,
    summary: def.summary,
    reply: def.reply,
    get params() {
      return schema();
    },
  } as unknown as StepDef;
}

/** What every step takes: a delay before anything is written. */
const common = () => ({ delayMs: zod().z.number().int().min(0).max(600_000).optional() });
const noParams = once(() => zod().z.object(common()).strict());
const retryAfterParams = once(() => {
  const { z } = zod();
  return z
    .object({
      ...common(),
      /** How Retry-After is written: delta-seconds, an HTTP-date, or not at all. */
      retryAfter: z.enum(["seconds", "http-date", "none"]).optional(),
      retryAfterS: z.number().int().min(0).max(86_400).optional(),
      /** Also send OpenAI's `retry-after-ms`. */
      retryAfterMs: z.number().int().min(0).optional(),
      /**
       * Send `x-should-retry: true|false`: openai-node and @anthropic-ai/sdk obey it before looking at the
       * status ("If the server explicitly says whether or not to retry, obey.", src/client.ts, shouldRetry).
       */
      shouldRetry: z.boolean().optional(),
    })
    .strict();
});
type RetryAfterParams = z.infer<ReturnType<typeof retryAfterParams>>;

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
  if (p.shouldRetry !== undefined) headers["x-should-retry"] = String(p.shouldRetry);
  if (mode === "none") return { headers };
  headers["retry-after"] =
    mode === "seconds" ? String(seconds) : new Date(Date.now() + seconds * 1000 + 999).toUTCString();
  return { headers, retryAfterS: seconds };
}

/**
 * Retry-After headers for a step's parameters, worked out once per parameter object when they do not
 * depend on the clock (an HTTP-date does): a 429 storm answers the same step thousands of times.
 * Each answer gets its own copy of the headers, as dialects add to them.
 */
const retryAfterOf = new WeakMap<object, ReturnType<typeof retryAfterHeaders>>();
function retryAfterFor(
  p: RetryAfterParams,
  defaultMode: "seconds" | "none",
): { headers: Record<string, string>; retryAfterS?: number } {
  if ((p.retryAfter ?? defaultMode) === "http-date") return retryAfterHeaders(p, defaultMode);
  let ra = retryAfterOf.get(p);
  if (!ra) {
    ra = retryAfterHeaders(p, defaultMode);
    retryAfterOf.set(p, ra);
  }
  return ra;
}

/**
 * A step's delay on a reply the dialect built for this answer alone. A new object, not a property added:
 * a dialect's literal has room for its own fields only, so an added one takes an object of its own (a
 * property array), kept with the reply through the whole delay and copied by every scavenge meanwhile.
 */
function delayed(reply: Reply, delayMs: number | undefined): Reply {
  if (delayMs === undefined) return reply;
  const { status, headers, body, chunks, end, fault } = reply;
  return { delayMs, fault, status, headers, body, chunks, end };
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
    reply: (ctx, p) => delayed(ctx.dialect.error(kind, ctx, retryAfterFor(p, retryDefault)), p.delayMs),
  });
}

/** Pause before a mid-stream error event, so it reaches the client in a read of its own. */
export const STREAM_ERROR_GAP_MS = 20;

const afterChunksFields = () => ({
  ...common(),
  afterChunks: zod().z.number().int().min(0).max(1000).optional(),
});
const afterChunks = once(() => zod().z.object(afterChunksFields()).strict());

/**
 * A successful answer in pieces: SSE events for a stream request, slices of the JSON body otherwise,
 * so timing faults slow down whichever body the client is reading.
 */
function successPieces(
  ctx: StepContext,
  text?: string,
): { status: number; headers: Record<string, string>; content: string[]; closing: string[] } {
  const c = text ? { ...ctx, text } : ctx;
  const ok = ctx.dialect.success(c);
  if (ctx.stream) return { status: ok.status, headers: ok.headers, ...ctx.dialect.streamEvents(c) };
  const body = ok.body ?? "";
  const size = Math.max(1, Math.ceil(body.length / 8));
  const content: string[] = [];
  for (let i = 0; i < body.length; i += size) content.push(body.slice(i, i + size));
  return { status: ok.status, headers: ok.headers, content, closing: [] };
}

/** The sum of two optional delays; undefined when neither is given. */
function addDelays(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0);
}

function streamOrBody(ctx: StepContext, n: number): { chunks: string[]; headers: Record<string, string> } {
  const ok = ctx.dialect.success({ ...ctx, stream: true });
  const { content } = ctx.dialect.streamEvents(ctx);
  return { chunks: content.slice(0, n), headers: ok.headers };
}

/** N content chunks of a real stream, then the connection ends the way `end` says, never with a terminator. */
function streamBreak(id: string, end: "cut" | "reset" | "finish", summary: string): StepDef {
  return defineStep({
    id,
    summary,
    params: afterChunks,
    reply(ctx, p) {
      const s = streamOrBody(ctx, p.afterChunks ?? 1);
      return {
        status: 200,
        headers: s.headers,
        chunks: s.chunks.map((data) => ({ data })),
        end,
        delayMs: p.delayMs,
      };
    },
  });
}

export const STEPS: StepDef[] = [
  defineStep({
    id: "ok",
    summary: "answer successfully, JSON or stream as the request asks (optionally after a drawn latency)",
    params: () => {
      const { z } = zod();
      return z
        .object({ ...common(), text: z.string().max(10_000).optional(), latency: latencySpec().optional() })
        .strict();
    },
    reply: (ctx, p) =>
      delayed(
        ctx.dialect.success(p.text ? { ...ctx, text: p.text } : ctx),
        addDelays(p.delayMs, p.latency && drawLatencyMs(p.latency, ctx.random)),
      ),
  }),
  defineStep({
    id: "latency",
    summary:
      "answer successfully after a seeded delay: dist fixed {ms}, uniform {minMs, maxMs}, lognormal {medianMs, sigma, capMs}",
    params: () => {
      const { z } = zod();
      return z
        .object({ ...common(), text: z.string().max(10_000).optional(), ...flatLatencyFields() })
        .strict()
        .superRefine(refineFlatLatency);
    },
    reply: (ctx, p) =>
      delayed(
        ctx.dialect.success(p.text ? { ...ctx, text: p.text } : ctx),
        addDelays(p.delayMs, drawLatencyMs(pickLatency(p), ctx.random)),
      ),
  }),
  defineStep({
    id: "rate_limit",
    summary: "429 with Retry-After (seconds by default, http-date, or none)",
    params: () =>
      retryAfterParams().extend({
        variant: zod().z.enum(["rate_limit_exceeded", "insufficient_quota"]).optional(),
      }),
    reply(ctx, p) {
      const kind = p.variant === "insufficient_quota" ? "quota" : "rate_limit";
      return delayed(ctx.dialect.error(kind, ctx, retryAfterFor(p, "seconds")), p.delayMs);
    },
  }),
  errorStep(
    "quota_exhausted",
    "quota_exhausted",
    "the account is out of money or quota, no Retry-After: OpenAI 429 insufficient_quota, Anthropic 429 enforced_spend_limit_reached, Gemini 402 RESOURCE_EXHAUSTED",
  ),
  defineStep({
    id: "prompt_blocked",
    summary:
      "200 without a completion: Gemini promptFeedback.blockReason and no candidates, OpenAI finish_reason content_filter, Anthropic stop_reason refusal",
    params: () =>
      zod()
        .z.object({ ...common(), blockReason: zod().z.enum(BLOCK_REASONS).optional() })
        .strict(),
    reply: (ctx, p) => delayed(promptBlocked(ctx, ctx.dialect, p.blockReason), p.delayMs),
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
    params: () => {
      const { z } = zod();
      return z
        .object({
          ...common(),
          // A 1xx is interim: the client would keep waiting for a final answer that never comes.
          status: z
            .number()
            .int()
            .min(200, "expected a final status from 200 to 599 (1xx statuses are interim)")
            .max(599, "expected a final status from 200 to 599"),
          body: z.string().max(100_000).optional(),
        })
        .strict();
    },
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
    id: "slow_stream",
    summary: "a successful answer dribbled one piece every chunkIntervalMs (SSE events, or JSON body slices)",
    params: () => {
      const { z } = zod();
      return z
        .object({
          ...common(),
          chunkIntervalMs: z.number().int().min(0).max(60_000).optional(),
          text: z.string().max(10_000).optional(),
        })
        .strict();
    },
    reply(ctx, p) {
      const s = successPieces(ctx, p.text);
      const interval = p.chunkIntervalMs ?? 100;
      return {
        status: s.status,
        headers: s.headers,
        chunks: [...s.content, ...s.closing].map((data, i) => ({ data, delayMs: i === 0 ? 0 : interval })),
        end: "finish",
        delayMs: p.delayMs,
      };
    },
  }),
  defineStep({
    id: "stall",
    summary:
      "send N pieces, go silent for stallMs, then the rest with its terminator (resume) or a clean end without it",
    params: () =>
      afterChunks().extend({
        stallMs: zod().z.number().int().min(0).max(600_000).optional(),
        resume: zod().z.boolean().optional(),
      }),
    reply(ctx, p) {
      const s = successPieces(ctx);
      const n = p.afterChunks ?? 1;
      const stallMs = p.stallMs ?? 1000;
      const before = s.content.slice(0, n).map((data) => ({ data }));
      // An empty write adds no bytes (not even a chunk header), so it only carries the stall's timer.
      const rest = p.resume === false ? [] : [...s.content.slice(n), ...s.closing];
      const after = rest.length
        ? rest.map((data, i) => ({ data, delayMs: i === 0 ? stallMs : 0 }))
        : [{ data: "", delayMs: stallMs }];
      return {
        status: s.status,
        headers: s.headers,
        chunks: [...before, ...after],
        end: "finish",
        delayMs: p.delayMs,
      };
    },
  }),
  defineStep({
    id: "headers_then_hang",
    summary: "send status 200 and headers, then nothing until the client gives up",
    params: noParams,
    reply(ctx, p) {
      const ok = ctx.dialect.success(ctx);
      return { status: 200, headers: ok.headers, end: "hang", delayMs: p.delayMs };
    },
  }),
  streamBreak("stream_cut", "cut", "stream N content chunks, then destroy the socket without a terminator"),
  streamBreak(
    "stream_reset",
    "reset",
    "stream N content chunks, then a TCP RST (a connection reset midway, not a close)",
  ),
  streamBreak(
    "close_clean",
    "finish",
    "stream N content chunks, then end the response cleanly without the dialect's terminator",
  ),
  defineStep({
    id: "stream_error",
    summary: "stream N content chunks, then the dialect's mid-stream error event",
    params: () =>
      afterChunks().extend({ kind: zod().z.enum(["server_error", "overloaded", "rate_limit"]).optional() }),
    reply(ctx, p) {
      const s = streamOrBody(ctx, p.afterChunks ?? 1);
      const err = ctx.dialect.streamError(ctx, p.kind ?? "server_error");
      return {
        status: 200,
        headers: s.headers,
        // The failure comes after a pause, as a real one does: @google/genai recognises a mid-stream
        // error only when it arrives in a network read of its own (see mocks/dialects/gemini.ts).
        chunks: [...s.chunks.map((data) => ({ data })), { data: err, delayMs: STREAM_ERROR_GAP_MS }],
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
