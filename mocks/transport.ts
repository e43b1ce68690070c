import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { BodyTooLarge } from "./limits.ts";
import type { MockRequest, Reply } from "./types.ts";

/** The longest a `hang` holds a connection, so a forgotten client never pins the mock forever. */
export const MAX_HANG_MS = 10 * 60_000;

/**
 * A request as the engine reads it. The query is parsed only if something asks for it (the Gemini
 * dialect, the control API): most requests have none, and the journal keeps the raw text.
 */
class NodeRequest implements MockRequest {
  private parsed: URLSearchParams | undefined;
  constructor(
    readonly method: string,
    readonly path: string,
    readonly rawQuery: string,
    readonly headers: Record<string, string>,
    readonly body: string,
  ) {}
  get query(): URLSearchParams {
    this.parsed ??= new URLSearchParams(this.rawQuery);
    return this.parsed;
  }
}

/** node:http joins repeated headers with ", " except set-cookie, the one it keeps as a list. */
function headersOf(req: IncomingMessage): Record<string, string> {
  const raw = req.headers;
  if (raw["set-cookie"] === undefined) return raw as Record<string, string>;
  const headers: Record<string, string> = {};
  for (const k in raw) {
    const v = raw[k];
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : v;
  }
  return headers;
}

function toMockRequest(req: IncomingMessage, body: string): MockRequest {
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  return new NodeRequest(
    req.method ?? "GET",
    q === -1 ? url : url.slice(0, q),
    q === -1 ? "" : url.slice(q + 1),
    headersOf(req),
    body,
  );
}

/** Where `onRequest` hands a request once its body is read. */
export interface RequestSink<C> {
  done(r: MockRequest, context: C): void;
  /** The body went past the limit; it was read to its end and dropped. */
  tooLarge(r: MockRequest, context: C, receivedBytes: number): void;
}

/**
 * Reads a request into plain data and hands it to the sink with `context` (the response, usually);
 * event listeners rather than async iteration or a promise, and one sink for every request rather than
 * closures per request, as this is the hot path. A body past `maxBytes` is read to its end and dropped,
 * never cut: the sink's `tooLarge` gets the request without it, and answers 413. (Answering before the
 * body is read would close a socket with unread data, and the client would see a reset, not the 413.)
 */
export function onRequest<C>(req: IncomingMessage, maxBytes: number, sink: RequestSink<C>, context: C): void {
  let first: Buffer | undefined;
  let chunks: Buffer[] | undefined;
  let size = 0;
  req.on("data", (c: Buffer) => {
    size += c.length;
    if (size > maxBytes) {
      first = undefined;
      chunks = undefined;
    } else if (first === undefined) first = c;
    else {
      chunks ??= [first];
      chunks.push(c);
    }
  });
  req.on("end", () => {
    if (size > maxBytes) sink.tooLarge(toMockRequest(req, ""), context, size);
    else {
      const body = chunks ? Buffer.concat(chunks).toString("utf8") : (first?.toString("utf8") ?? "");
      sink.done(toMockRequest(req, body), context);
    }
  });
}

type Settle = { resolve: (r: MockRequest) => void; reject: (e: Error) => void; maxBytes: number };
const PROMISE_SINK: RequestSink<Settle> = {
  done: (r, p) => p.resolve(r),
  tooLarge: (_r, p, n) => p.reject(new BodyTooLarge(n, p.maxBytes, "maxRequestBytes")),
};

/** Reads a request into plain data; a body past `maxBytes` rejects with BodyTooLarge once it is read. */
export function readRequest(req: IncomingMessage, maxBytes = 10 * 1024 * 1024): Promise<MockRequest> {
  return new Promise((resolve, reject) => {
    req.on("error", reject);
    onRequest(req, maxBytes, PROMISE_SINK, { resolve, reject, maxBytes });
  });
}

/**
 * Waits, but gives up as soon as the client goes away. Every delay is a plain timer: a thousand
 * concurrent delayed answers cost a thousand timers, nothing more.
 */
function wait(ms: number, res: ServerResponse): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off("close", onClose);
      resolve(true);
    }, ms);
    res.once("close", onClose);
  });
}

function rst(socket: Socket): void {
  // resetAndDestroy sends a TCP RST (Node ≥ 16.17), which the client sees as ECONNRESET.
  if (typeof socket.resetAndDestroy === "function") socket.resetAndDestroy();
  else socket.destroy();
}

export type Outcome = "answered" | "fault" | "client_closed";

/** Told how each exchange ended; one object for every request, the request's own data in `context`. */
export interface WriteSink<C> {
  written(outcome: Outcome, context: C): void;
  failed(error: unknown, context: C): void;
}

const PROMISE_WRITE: WriteSink<{ resolve: (o: Outcome) => void; reject: (e: unknown) => void }> = {
  written: (o, p) => p.resolve(o),
  failed: (e, p) => p.reject(e),
};

/** Writes a Reply to a node:http response, including the socket-level faults. */
export function writeReply(res: ServerResponse, reply: Reply): Promise<Outcome> {
  return new Promise((resolve, reject) => write(res, reply, PROMISE_WRITE, { resolve, reject }));
}

/** A whole body at once, with its length: what most answers are. */
function whole(res: ServerResponse, reply: Reply): void {
  const body = reply.body ?? "";
  // A content-length spares the client chunked framing, as real providers do for JSON.
  // The reply is this request's own, so its headers can take the length without a copy.
  reply.headers["content-length"] = String(Buffer.byteLength(body));
  res.writeHead(reply.status, reply.headers);
  res.end(body);
}

/** Whether every chunk goes out at once and the stream ends cleanly: then it needs no timer or promise. */
function instantStream(reply: Reply): boolean {
  if ((reply.end ?? "finish") !== "finish") return false;
  for (const c of reply.chunks!) if (c.delayMs) return false;
  return true;
}

/**
 * A whole answer after a delay: one timer, and a close listener that gives up as soon as the client
 * goes away. No promise and no async frame, as a thousand of these run at once under a latency plan.
 */
const kDelayed = Symbol("faultline.delayed");
type Delayable = ServerResponse & { [kDelayed]?: Delayed<unknown> };

/** The close listener of every delayed answer: one function, the pending answer kept on the response. */
function onDelayedClose(this: Delayable): void {
  const d = this[kDelayed];
  if (!d) return;
  clearTimeout(d.timer);
  d.sink.written("client_closed", d.context);
}

class Delayed<C> {
  readonly timer: NodeJS.Timeout;
  constructor(
    private readonly res: ServerResponse,
    private readonly reply: Reply,
    readonly sink: WriteSink<C>,
    readonly context: C,
  ) {
    this.timer = setTimeout(Delayed.fire, reply.delayMs, this);
    (res as Delayable)[kDelayed] = this as Delayed<unknown>;
    res.on("close", onDelayedClose);
  }
  private static fire(d: Delayed<unknown>): void {
    d.res.removeListener("close", onDelayedClose);
    if (d.res.destroyed) {
      d.sink.written("client_closed", d.context);
      return;
    }
    try {
      whole(d.res, d.reply);
      d.sink.written("answered", d.context);
    } catch (e) {
      d.sink.failed(e, d.context);
    }
  }
}

/**
 * Writes a Reply and tells the sink how it ended. Whole answers and streams without pauses are written
 * at once (the sink hears before `write` returns); a delayed whole answer takes one timer; faults and
 * paced streams go through `later`.
 */
export function write<C>(res: ServerResponse, reply: Reply, sink: WriteSink<C>, context: C): void {
  if (!reply.fault && reply.end !== "hang") {
    if (!reply.chunks) {
      if (!reply.delayMs) {
        whole(res, reply);
        sink.written("answered", context);
      } else new Delayed(res, reply, sink, context);
      return;
    }
    if (!reply.delayMs && instantStream(reply)) {
      res.writeHead(reply.status, reply.headers);
      res.flushHeaders();
      // One write per event, as a streaming server sends them.
      for (const c of reply.chunks) res.write(c.data);
      res.end();
      sink.written("answered", context);
      return;
    }
  }
  later(res, reply).then(
    (o) => sink.written(o, context),
    (e) => sink.failed(e, context),
  );
}

async function later(res: ServerResponse, reply: Reply): Promise<Outcome> {
  const socket = res.socket as Socket;
  if (reply.delayMs && !(await wait(reply.delayMs, res))) return "client_closed";
  if (reply.fault === "hang") {
    await wait(MAX_HANG_MS, res);
    if (!res.destroyed) res.destroy();
    return "client_closed";
  }
  if (reply.fault === "reset") {
    rst(socket);
    return "fault";
  }
  if (reply.fault === "empty") {
    socket.end();
    socket.destroySoon?.();
    return "fault";
  }
  if (!reply.chunks) {
    if (reply.end === "hang") {
      res.writeHead(reply.status, reply.headers);
      res.flushHeaders();
      await wait(MAX_HANG_MS, res);
      res.destroy();
      return "client_closed";
    }
    const body = reply.body ?? "";
    // A content-length spares the client chunked framing, as real providers do for JSON.
    // The reply is this request's own, so its headers can take the length without a copy.
    reply.headers["content-length"] = String(Buffer.byteLength(body));
    res.writeHead(reply.status, reply.headers);
    res.end(body);
    return "answered";
  }
  res.writeHead(reply.status, reply.headers);
  res.flushHeaders();
  for (const c of reply.chunks) {
    if (c.delayMs && !(await wait(c.delayMs, res))) return "client_closed";
    if (res.destroyed) return "client_closed";
    res.write(c.data);
  }
  switch (reply.end ?? "finish") {
    case "finish":
      res.end();
      return "answered";
    case "cut":
      // Let the written chunks reach the client, then close without the chunked terminator.
      await new Promise<void>((r) => res.write("", () => r()));
      socket.destroy();
      return "fault";
    case "reset":
      await new Promise<void>((r) => res.write("", () => r()));
      // Reset at once after the write callback, the client saw a FIN, not a RST (Linux loopback,
      // test/mock-faults.test.ts); a short timer lets the written bytes go out first.
      await new Promise<void>((r) => setTimeout(r, 5));
      rst(socket);
      return "fault";
    case "hang":
      await wait(MAX_HANG_MS, res);
      res.destroy();
      return "client_closed";
  }
}
