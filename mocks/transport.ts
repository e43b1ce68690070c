import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { MockRequest, Reply } from "./types.ts";

/** The longest a `hang` holds a connection, so a forgotten client never pins the mock forever. */
export const MAX_HANG_MS = 10 * 60_000;

export async function readRequest(req: IncomingMessage, maxBytes = 10 * 1024 * 1024): Promise<MockRequest> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size <= maxBytes) chunks.push(c as Buffer);
  }
  const url = new URL(req.url ?? "/", "http://mock");
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : v;
  return {
    method: req.method ?? "GET",
    path: url.pathname,
    query: url.searchParams,
    headers,
    body: Buffer.concat(chunks).toString("utf8"),
  };
}

/** Waits, but gives up as soon as the client goes away. Every delay is a timer. */
function wait(ms: number, signal: AbortSignal): Promise<boolean> {
  if (ms <= 0) return Promise.resolve(!signal.aborted);
  return sleep(ms, true, { signal }).catch(() => false);
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
  const gone = new AbortController();
  const onClose = () => gone.abort();
  res.on("close", onClose);
  try {
    if (reply.delayMs && !(await wait(reply.delayMs, gone.signal))) return "client_closed";
    if (reply.fault === "hang") {
      await wait(MAX_HANG_MS, gone.signal);
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
      res.writeHead(reply.status, reply.headers);
      if (reply.end === "hang") {
        res.flushHeaders();
        await wait(MAX_HANG_MS, gone.signal);
        res.destroy();
        return "client_closed";
      }
      res.end(reply.body ?? "");
      return "answered";
    }
    res.writeHead(reply.status, reply.headers);
    res.flushHeaders();
    for (const c of reply.chunks) {
      if (c.delayMs && !(await wait(c.delayMs, gone.signal))) return "client_closed";
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
        rst(socket);
        return "fault";
      case "hang":
        await wait(MAX_HANG_MS, gone.signal);
        res.destroy();
        return "client_closed";
    }
  } finally {
    res.off("close", onClose);
  }
}
