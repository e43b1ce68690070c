import type { Readable } from "node:stream";
import { type Dispatcher, request } from "undici";
import type { AttemptGuard } from "./guard.ts";
import type { Upstream } from "./options.ts";
import { failsOver, REFUSAL_STATUS } from "./retryability.ts";
import { SseReader } from "./sse.ts";

/** What a provider sent: its status, type and body, for a mutant that relays them (raw_passthrough). */
export interface RawAnswer {
  status: number;
  contentType: string;
  body: string;
}

export type AttemptResult =
  | { kind: "completion"; completion: Record<string, unknown> }
  /** A stream whose first content event has arrived: from here on the gateway is committed to it. */
  | { kind: "stream"; reader: SseReader; first: Record<string, unknown> }
  | {
      kind: "failed";
      retryable: boolean;
      status?: number;
      reason: string;
      raw?: RawAnswer;
      /** The wait the provider asked for (Retry-After), in seconds. */
      retryAfterS?: number;
    }
  | { kind: "stopped"; by: "client" | "deadline" };

export interface AttemptRequest {
  upstream: Upstream;
  dispatcher: Dispatcher;
  payload: string;
  stream: boolean;
  headers: Record<string, string>;
  guard: AttemptGuard;
  /** Whether a provider's 200 is refused as no completion or relayed (the policy's `completionRefusal`). */
  refusal: (answer: Record<string, unknown>) => { refuse: string } | { relay: Record<string, unknown> };
}

const MAX_COMPLETION_BYTES = 4 * 1024 * 1024;
const MAX_ERROR_BYTES = 64 * 1024;

/** Whether a failed status is worth another provider (retryability.ts says why for each). */
export function isRetryableStatus(status: number): boolean {
  return failsOver(status);
}

async function readText(body: Readable, cap: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of body) {
    const b = c as Buffer;
    if (size < cap) chunks.push(b.subarray(0, cap - size));
    size += b.length;
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === "object" && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A usable completion: JSON, no error object behind the 200, and choices to hand on. */
function asCompletion(text: string): Record<string, unknown> | undefined {
  const v = parseObject(text);
  return v && !("error" in v) && Array.isArray(v.choices) ? v : undefined;
}

function transportReason(e: unknown): string {
  // The code only: undici's messages name the provider's host and port, which must not reach a client.
  const err = e as { code?: string; cause?: { code?: string } };
  return `connection failed (${err.code ?? err.cause?.code ?? "unknown"})`;
}

/** RFC 9110 §10.2.3: delay-seconds or an HTTP-date, as seconds from now; undefined when absent or invalid. */
export function retryAfterSeconds(v: string | string[] | undefined, now = Date.now()): number | undefined {
  if (typeof v !== "string") return undefined;
  const s = v.trim();
  if (/^\d+$/.test(s)) return Number(s);
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : Math.max(0, Math.ceil((t - now) / 1000));
}

const fail = (reason: string, raw?: RawAnswer, retryable = true): AttemptResult => ({
  kind: "failed",
  retryable,
  status: raw?.status,
  reason,
  raw,
});

/** A provider's refusal behind a 200 (retryability.ts): answered like its content-policy 400, not failed over. */
const refused = (reason: string, raw: RawAnswer): AttemptResult => ({
  kind: "failed",
  retryable: false,
  status: REFUSAL_STATUS,
  reason,
  raw,
});

/** One attempt at one provider; never throws. The guard is the caller's to dispose. */
export async function attempt(a: AttemptRequest): Promise<AttemptResult> {
  let body: Readable | undefined;
  let handedOver = false;
  try {
    const res = await request(`${a.upstream.baseUrl}/chat/completions`, {
      method: "POST",
      dispatcher: a.dispatcher,
      signal: a.guard.signal,
      headers: a.headers,
      body: a.payload,
    });
    body = res.body;
    const status = res.statusCode;
    const contentType = String(res.headers["content-type"] ?? "");
    if (status < 200 || status >= 300) {
      const raw = { status, contentType, body: await readText(res.body, MAX_ERROR_BYTES) };
      const retryAfterS = retryAfterSeconds(res.headers["retry-after"]);
      return {
        kind: "failed",
        retryable: isRetryableStatus(status),
        status,
        reason: `status ${status}`,
        raw,
        retryAfterS,
      };
    }
    const streamed = /^text\/event-stream/i.test(contentType);
    if (!a.stream || !streamed) {
      const text = await readText(res.body, MAX_COMPLETION_BYTES);
      const completion = a.stream ? undefined : asCompletion(text);
      if (!completion)
        return fail(`status ${status} without a usable completion`, { status, contentType, body: text });
      const verdict = a.refusal(completion);
      if ("refuse" in verdict) return refused(verdict.refuse, { status, contentType, body: text });
      return { kind: "completion", completion: verdict.relay };
    }
    const reader = new SseReader(res.body);
    const data = await reader.next();
    if (data === undefined || data === "[DONE]") return fail("stream ended before any content");
    const first = parseObject(data);
    if (!first) return fail("stream event is not JSON");
    if ("error" in first)
      return fail("stream failed before any content", { status, contentType, body: data });
    const verdict = a.refusal(first);
    if ("refuse" in verdict) return refused(verdict.refuse, { status, contentType, body: data });
    handedOver = true;
    return { kind: "stream", reader, first: verdict.relay };
  } catch (e) {
    const by = a.guard.reason;
    if (by === "client" || by === "deadline") return { kind: "stopped", by };
    if (by === "timeout") return fail("no answer within the attempt timeout");
    return fail(transportReason(e));
  } finally {
    if (!handedOver && body && !body.destroyed) body.destroy();
  }
}
