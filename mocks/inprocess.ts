import { setTimeout as sleep } from "node:timers/promises";
import { type ControlOptions, control } from "./control.ts";
import { json } from "./dialects/types.ts";
import { DEFAULT_PROVIDERS, MockEngine, type ProviderConfig } from "./engine.ts";
import type { JournalEntry } from "./journal.ts";
import { MAX_HANG_MS } from "./transport.ts";
import type { MockRequest, Reply } from "./types.ts";

/** The host the in-process adapters answer for unless told otherwise; `.test` never resolves (RFC 2606). */
export const DEFAULT_BASE_URL = "https://mock.faultline.test";

/** What both in-process adapters accept. */
export interface InProcessOptions {
  /** Share an engine (and so plans and journal) with a real server or another adapter. */
  engine?: MockEngine;
  /** Origin, optionally with a path prefix, the adapter answers for. */
  baseUrl?: string;
  /** Providers of a new engine; ignored when `engine` is given. */
  providers?: ProviderConfig[];
  /** Control API options (bearer token, extra routes such as scenarios). */
  control?: ControlOptions;
}

/** How an exchange ended, as the journal records it. */
export type Outcome = NonNullable<JournalEntry["outcome"]>;

/** One answered request: what to send, and how to close its journal entry once it is sent. */
export interface Answer {
  reply: Reply;
  settle(outcome: Outcome): void;
}

export function engineOf(opts: InProcessOptions): MockEngine {
  return opts.engine ?? new MockEngine({ providers: opts.providers ?? DEFAULT_PROVIDERS });
}

export function normaliseBaseUrl(baseUrl = DEFAULT_BASE_URL): {
  origin: string;
  prefix: string;
  url: string;
} {
  const u = new URL(baseUrl);
  const prefix = u.pathname.replace(/\/+$/, "");
  return { origin: u.origin, prefix, url: `${u.origin}${prefix}` };
}

/** Builds the runtime-independent request from URL parts, dropping the adapter's path prefix. */
export function mockRequest(
  method: string,
  url: URL,
  prefix: string,
  headers: Iterable<[string, string]>,
  body: string,
): MockRequest {
  const lower: Record<string, string> = {};
  for (const [k, v] of headers) lower[k.toLowerCase()] = v;
  const path = prefix && url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : url.pathname;
  return { method: method.toUpperCase(), path: path || "/", query: url.searchParams, headers: lower, body };
}

/**
 * The same routing as the socket server (mocks/server.ts): the control API first, then a provider's
 * decision, else the JSON 404 naming the providers.
 */
export async function answer(
  engine: MockEngine,
  req: MockRequest,
  opts: ControlOptions = {},
): Promise<Answer> {
  const ctl = await control(engine, req, opts);
  if (ctl) return { reply: ctl, settle: () => {} };
  const decision = engine.decide(req);
  if (!decision) {
    const message = `no provider for ${req.path}; providers: ${engine.providerNames().join(", ")}`;
    return { reply: json(404, { error: { message } }), settle: () => {} };
  }
  const { reply, entry } = decision;
  return {
    reply,
    settle: (outcome) => engine.settle(entry, reply, outcome),
  };
}

/** Waits `ms`; resolves false if the signal aborts first. Every delay is a timer. */
export function wait(ms: number, signal?: AbortSignal, ref = true): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return sleep(ms, true, { signal, ref }).catch(() => false);
}

/**
 * Holds until the signal aborts (or MAX_HANG_MS). The timer is unref'd: a test that forgets a hung
 * request must not keep its process alive.
 */
export function hang(signal?: AbortSignal): Promise<boolean> {
  return wait(MAX_HANG_MS, signal, false);
}

/**
 * Yields one macrotask. Web streams and Readables discard queued chunks when they error, and the
 * runtimes between an adapter and its caller read ahead; on a real socket the close arrives after
 * the data, in a later turn, so an adapter waits one turn before it breaks a stream.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Errors shaped like the ones Node's own HTTP stack raises, so gateway code branches on `code` alike. */
export function socketError(kind: "reset" | "empty" | "cut"): Error & { code: string } {
  if (kind === "reset") return Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
  // node:http reports a connection closed before (or during) a response as "socket hang up".
  return Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
}

/** Statuses whose responses cannot carry a body (Fetch: "null body status"). */
export function isNullBodyStatus(status: number): boolean {
  return status === 101 || status === 204 || status === 205 || status === 304;
}
