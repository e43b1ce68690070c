import { type ControlOptions, control } from "./control.ts";
import { json } from "./dialects/types.ts";
import { DEFAULT_PROVIDERS, MockEngine, type ProviderConfig } from "./engine.ts";
import type { Gone, GoneListener, Outcome, PlayReport } from "./player.ts";
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

export type { Outcome } from "./player.ts";

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

/**
 * One exchange played in process: the answer to settle, the result the runtime waits for (a Response,
 * nock's reply tuple), and the player's listener. The runtime's adapter calls `leave` when the client
 * goes away or the adapter stops; `release` lets go of what the adapter handed out.
 */
export abstract class Exchange<R> {
  readonly result: Promise<R>;
  private settleResult!: { resolve: (r: R) => void; reject: (e: unknown) => void };
  resolved = false;
  left: Gone | undefined;
  listener: GoneListener | undefined;

  constructor(readonly answer: Answer) {
    this.result = new Promise<R>((resolve, reject) => {
      this.settleResult = { resolve, reject };
    });
  }

  resolve(r: R): void {
    if (this.resolved) return;
    this.resolved = true;
    this.settleResult.resolve(r);
  }

  reject(e: unknown): void {
    if (this.resolved) return;
    this.resolved = true;
    this.settleResult.reject(e);
  }

  leave(who: Gone): void {
    if (this.left) return;
    this.left = who;
    const l = this.listener;
    this.listener = undefined;
    l?.gone(who);
    this.release(who);
  }

  /** Lets go of what the adapter handed out, once the exchange is left. */
  protected abstract release(who: Gone): void;
  /** Starts and stops listening to the runtime while the player waits on this exchange. */
  abstract watch(): void;
  abstract unwatch(): void;
  /** Whether the runtime says the exchange is over already. */
  abstract peek(): Gone | undefined;
}

/** What the shared sink members and the report see of an exchange, whatever its result. */
type AnyExchange = Pick<
  Exchange<unknown>,
  "answer" | "reject" | "left" | "listener" | "watch" | "unwatch" | "peek"
>;

/** Settles each in-process exchange's journal entry with the outcome the player decided. */
export const SETTLE: PlayReport<AnyExchange> = {
  played: (outcome, x) => x.answer.settle(outcome),
  failed: (e, x) => x.reject(e),
};

/** The sink members every in-process runtime shares: the player's listener kept on the exchange. */
export const listening = {
  gone: (x: AnyExchange) => x.left ?? x.peek(),
  listen(x: AnyExchange, l: GoneListener) {
    x.listener = l;
    x.watch();
  },
  unlisten(x: AnyExchange) {
    x.listener = undefined;
    x.unwatch();
  },
};

/**
 * Waits until a buffer holds nothing more (`pending` answers what it holds), or 100 turns. Web streams
 * and Readables discard queued chunks when they error, so a break waits for the reader first.
 */
export async function drained(pending: () => number): Promise<void> {
  for (let i = 0; i < 100 && pending() > 0; i++) await nextTurn();
  await nextTurn();
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
