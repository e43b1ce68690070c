import { type IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { BodyTooLarge } from "./limits.ts";
import {
  type FaultKind,
  type GoneListener,
  type Outcome,
  type PlayReport,
  play,
  type ReplySink,
} from "./player.ts";
import { flat, utf8Length } from "./strings.ts";
import type { MockRequest, Reply } from "./types.ts";

export { MAX_HANG_MS, type Outcome } from "./player.ts";

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
      // The listeners stay on the request until its answer ends, a delay included: let go of the bytes,
      // as every object an answer keeps through its delay is copied by each scavenge meanwhile.
      first = undefined;
      chunks = undefined;
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

function rst(socket: Socket): void {
  // resetAndDestroy sends a TCP RST (Node ≥ 16.17), which the client sees as ECONNRESET.
  if (typeof socket.resetAndDestroy === "function") socket.resetAndDestroy();
  else socket.destroy();
}

/** Resolves once what was written so far has been handed to the socket. */
function flushed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => res.write("", () => resolve()));
}

async function breakAfterHead(res: ServerResponse, socket: Socket, kind: FaultKind): Promise<void> {
  // Let the written chunks reach the client, then close without the chunked terminator.
  await flushed(res);
  if (kind !== "reset") {
    socket.destroy();
    return;
  }
  // Reset at once after the write callback, the client saw a FIN, not a RST (Linux loopback,
  // test/mock-faults.test.ts); a short timer lets the written bytes go out first.
  await new Promise<void>((r) => setTimeout(r, 5));
  rst(socket);
}

/** The player's listener of a response, kept on it so one close handler serves every response. */
const kListener = Symbol("faultline.listener");
type Listened = ServerResponse & { [kListener]?: GoneListener };

/**
 * node:http's response with the player's listener slot from its construction (`createServer`'s
 * `ServerResponse` option). Set only on the responses that wait, the slot was a property added to some
 * responses and not others: two shapes of response, so node's own hot functions (its writes, `emit`,
 * `resOnFinish`) were compiled for one and thrown away when the first delayed answer brought the other
 * (V8's `--trace-deopt`, "wrong map", at the start of bench:mock's burst). A server without it still
 * works: the slot is then added as it was.
 */
export class MockResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  [kListener]: GoneListener | undefined = undefined;
}

function onClose(this: Listened): void {
  const l = this[kListener];
  if (!l) return;
  this[kListener] = undefined;
  l.gone("client");
}

/**
 * Flattens the head node keeps for a prepared answer. node builds a head as a rope of its lines and holds
 * it until the body's first write: held through a delay, that rope was copied by every scavenge for every
 * answer waiting (a thousand in a burst), 2,300–3,000 instructions per delayed answer in the collector
 * (callgrind, 64 connections, 20 ms delays); flat, it is one string, and the write at the end of the delay
 * need not walk it. `_header` is node's own field (OutgoingMessage); where a node version lacks it,
 * nothing is done.
 */
function flatHead(res: ServerResponse): void {
  const head = (res as { _header?: unknown })._header;
  if (typeof head === "string") flat(head);
}

/** The head of a whole answer, its content-length included. */
function wholeHead(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  // A content-length spares the client chunked framing, as real providers do for JSON.
  // The reply is this request's own, so its headers can take the length without a copy.
  headers["content-length"] = String(utf8Length(body));
  res.writeHead(status, headers);
}

/** A node:http response as the player's sink: the socket-level faults are real ones. */
export const NODE_SINK: ReplySink<ServerResponse> = {
  whole(res, status, headers, body) {
    wholeHead(res, status, headers, body);
    res.end(body);
  },
  // node keeps a head written with writeHead until the body's first write (or flushHeaders): a prepared
  // head sends nothing before its delay ends.
  prepareWhole(res, status, headers, body) {
    wholeHead(res, status, headers, body);
    flatHead(res);
    // The body too: a dialect builds it as a rope of a dozen parts, each an object kept through the delay.
    // node would flatten it when the delay ends anyway, on its way to the socket.
    flat(body);
  },
  endWhole: (res, body) => res.end(body),
  head(res, status, headers) {
    res.writeHead(status, headers);
    res.flushHeaders();
  },
  // One write per event, as a streaming server sends them.
  write: (res, data) => res.write(data),
  burst(res, status, headers, chunks) {
    // Each event stays its own HTTP chunk, as with `write`; corking the socket only gathers them into one
    // writev, where one write per event cost four syscalls each (size line, data, CRLF, and the next).
    const socket = res.socket;
    socket?.cork();
    try {
      res.writeHead(status, headers);
      for (let i = 0; i < chunks.length; i++) res.write(chunks[i]!.data);
      res.end();
    } finally {
      socket?.uncork();
    }
  },
  end: (res) => res.end(),
  fault(res, kind, headSent) {
    const socket = res.socket as Socket;
    if (headSent) return breakAfterHead(res, socket, kind);
    if (kind === "reset") rst(socket);
    else {
      socket.end();
      socket.destroySoon?.();
    }
  },
  gone: (res) => (res.destroyed ? "client" : undefined),
  listen(res, l) {
    (res as Listened)[kListener] = l;
    res.on("close", onClose);
  },
  unlisten(res) {
    (res as Listened)[kListener] = undefined;
    res.removeListener("close", onClose);
  },
};

/** Told how each exchange ended; one object for every request, the request's own data in `context`. */
export type WriteSink<C> = PlayReport<C>;

const PROMISE_WRITE: PlayReport<{ resolve: (o: Outcome) => void; reject: (e: unknown) => void }> = {
  played: (o, p) => p.resolve(o),
  failed: (e, p) => p.reject(e),
};

/** Writes a Reply to a node:http response, including the socket-level faults. */
export function writeReply(res: ServerResponse, reply: Reply): Promise<Outcome> {
  return new Promise((resolve, reject) => play(reply, NODE_SINK, res, PROMISE_WRITE, { resolve, reject }));
}

/** Writes a Reply and tells `report` how it ended (at once, for answers with no timer). */
export function write<C>(res: ServerResponse, reply: Reply, report: PlayReport<C>, context: C): void {
  play(reply, NODE_SINK, res, report, context);
}
