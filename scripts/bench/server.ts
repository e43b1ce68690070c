// A server child of the benchmark: the mock (`server.ts mock`) or a bare node:http server replaying the
// mock's captured answers (`server.ts bare`). Each runs alone in its own process, so neither shares
// an event loop with the load generator or with the other.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { startMock } from "../../mocks/server.ts";
import type { Canned, ServerMessage } from "./protocol.ts";
import { summarise } from "./stats.ts";

const send = (m: ServerMessage) => process.send?.(m);

/**
 * Time from a request's arrival to its last byte handed to the kernel, seen by the server itself, so
 * the figure holds no client time: what the issue means by "delays do not slow each other".
 */
let served: number[] = [];
function timeRequests(server: Server): void {
  server.prependListener("request", (_req: IncomingMessage, res: ServerResponse) => {
    const t0 = performance.now();
    res.once("finish", () => served.push(performance.now() - t0));
  });
}

async function startBare(routes: Record<string, Canned>): Promise<{ url: string; close(): void }> {
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for await (const _ of req) {
      // Read the body, as any real server must before answering.
    }
    const canned = routes[req.url ?? ""];
    if (!canned) {
      res.writeHead(404).end();
      return;
    }
    if (canned.delayMs) await new Promise((r) => setTimeout(r, canned.delayMs));
    res.writeHead(canned.status, canned.headers);
    if (canned.pieces.length === 1) {
      res.end(canned.pieces[0]);
      return;
    }
    res.flushHeaders();
    for (const p of canned.pieces) res.write(p);
    res.end();
  }
  const server = createServer((req, res) => void handle(req, res));
  timeRequests(server);
  server.keepAliveTimeout = 5_000;
  // The mock listens with the same backlog (mocks/server.ts), so a burst of connects is treated alike.
  await new Promise<void>((r) => server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, () => r()));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}

const mode = process.argv[2];
let close: () => unknown = () => {};
let journal: (() => { size: number; dropped: number }) | undefined;

process.on("message", async (m: { type: string; routes?: Record<string, Canned> }) => {
  if (m.type === "canned" && mode === "bare") {
    const bare = await startBare(m.routes ?? {});
    close = bare.close;
    send({ type: "ready", url: bare.url });
  } else if (m.type === "usage") {
    const cpu = process.cpuUsage();
    send({
      type: "usage",
      rssBytes: process.memoryUsage().rss,
      cpuUserMs: cpu.user / 1000,
      cpuSystemMs: cpu.system / 1000,
      journal: journal?.(),
      servedMs: summarise(served),
    });
    served = [];
  } else if (m.type === "stop") {
    await close();
    process.exit(0);
  }
});

if (mode === "mock") {
  const mock = await startMock();
  timeRequests(mock.server);
  close = () => mock.close();
  journal = () => ({ size: mock.engine.journal.size, dropped: mock.engine.journal.dropped });
  send({ type: "ready", url: mock.url });
} else if (mode !== "bare") {
  process.stderr.write(`bench server: expected "mock" or "bare", saw "${mode}"\n`);
  process.exit(2);
}
