import { AsyncLocalStorage } from "node:async_hooks";
import { Agent, request } from "undici";
import type { Exchange, RequestSpec, SseEvent } from "./types.ts";

const MAX_CAPTURE_BYTES = 1024 * 1024;

// Loopback gateways answer fast, so keep-alive matters for speed. Each run and replay sends through a pool
// of its own (withHttpPool), closed when it ends: two of them in one process, one after the other or side
// by side, never share a socket to a gateway that has since closed. Outside one (the vitest suites), sends
// share a pool that closeHttp ends.
const newPool = () => new Agent({ connections: 64, keepAliveTimeout: 4_000, pipelining: 1 });
const scoped = new AsyncLocalStorage<Agent>();
let shared: Agent | undefined;
const agent = () => {
  const own = scoped.getStore();
  if (own) return own;
  shared ??= newPool();
  return shared;
};

/**
 * Runs `fn` with a connection pool of its own, destroyed when `fn` settles: a request still in flight then
 * (a case abandoned by a stopped run) ends at once instead of holding the process open.
 */
export async function withHttpPool<T>(fn: () => Promise<T>): Promise<T> {
  const pool = newPool();
  try {
    return await scoped.run(pool, fn);
  } finally {
    await pool.destroy().catch(() => undefined);
  }
}

export function parseSse(text: string): { events: SseEvent[]; endedCleanly: boolean } {
  const events: SseEvent[] = [];
  const normalised = text.replace(/\r\n?/g, "\n");
  const frames = normalised.split("\n\n");
  const endedCleanly = normalised.length === 0 || normalised.endsWith("\n\n");
  for (const frame of frames) {
    if (!frame.trim()) continue;
    let event: string | undefined;
    const data: string[] = [];
    for (const line of frame.split("\n")) {
      if (line.startsWith(":")) continue;
      const i = line.indexOf(":");
      const field = i === -1 ? line : line.slice(0, i);
      const value = i === -1 ? "" : line.slice(i + 1).replace(/^ /, "");
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
    }
    if (data.length || event) events.push({ event, data: data.join("\n") });
  }
  return { events, endedCleanly };
}

function lowerHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h))
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}

/** Sends one request to the gateway with a hard deadline; never throws, never hangs. */
export async function send(baseUrl: string, req: RequestSpec, deadlineMs: number): Promise<Exchange> {
  const url = baseUrl + req.path;
  const started = performance.now();
  const signal = AbortSignal.timeout(deadlineMs);
  const ex: Exchange = { url, request: req, headers: {}, raw: "", timedOut: false, elapsedMs: 0 };
  try {
    const res = await request(url, {
      method: req.method as "GET",
      headers: req.headers,
      body: req.body,
      signal,
      dispatcher: agent(),
      headersTimeout: deadlineMs,
      bodyTimeout: deadlineMs,
    });
    ex.status = res.statusCode;
    ex.headers = lowerHeaders(res.headers);
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const c of res.body) {
        size += (c as Buffer).length;
        if (size <= MAX_CAPTURE_BYTES) chunks.push(c as Buffer);
      }
    } catch (e) {
      // The body broke after the headers: keep what arrived, note how it ended.
      ex.error = describe(e, signal);
    }
    ex.raw = Buffer.concat(chunks).toString("utf8");
  } catch (e) {
    ex.error = describe(e, signal);
  }
  ex.timedOut = signal.aborted;
  ex.elapsedMs = Math.round(performance.now() - started);
  const ct = ex.headers["content-type"] ?? "";
  if (ct.includes("text/event-stream")) {
    const { events, endedCleanly } = parseSse(ex.raw);
    ex.events = events;
    ex.streamEndedCleanly = endedCleanly && !ex.error;
  } else if (ex.raw) {
    try {
      ex.json = JSON.parse(ex.raw);
    } catch {
      ex.json = undefined;
    }
  }
  return ex;
}

function describe(e: unknown, signal: AbortSignal): { code: string; message: string } {
  if (signal.aborted) return { code: "FAULTLINE_DEADLINE", message: "the harness gave up at its deadline" };
  const err = e as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  return { code: err.code ?? err.cause?.code ?? "ERROR", message: err.message ?? String(e) };
}

/** Closes the shared pool (the one sends outside withHttpPool use); the next such send opens a new one. */
export async function closeHttp(): Promise<void> {
  const p = shared;
  shared = undefined;
  await p?.close();
}
