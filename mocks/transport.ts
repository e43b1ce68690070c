import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { MockRequest, Reply } from "./types.ts";

/** The longest a `hang` holds a connection, so a forgotten client never pins the mock forever. */
export const MAX_HANG_MS = 10 * 60_000;

/** Reads a request into plain data; event listeners rather than async iteration, as this is the hot path. */
export function readRequest(req: IncomingMessage, maxBytes = 10 * 1024 * 1024): Promise<MockRequest> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= maxBytes) chunks.push(c);
    });
    req.on("error", reject);
    req.on("end", () => {
      const url = req.url ?? "/";
      const q = url.indexOf("?");
      const headers: Record<string, string> = {};
      const raw = req.headers;
      for (const k in raw) {
        const v = raw[k];
        if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : v;
      }
      resolve({
        method: req.method ?? "GET",
        path: q === -1 ? url : url.slice(0, q),
        query: new URLSearchParams(q === -1 ? "" : url.slice(q + 1)),
        headers,
        body: chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8"),
      });
    });
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

/** Writes a Reply to a node:http response, including the socket-level faults. */
export async function writeReply(
  res: ServerResponse,
  reply: Reply,
): Promise<"answered" | "fault" | "client_closed"> {
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
