// A server child of the benchmark: the mock (`server.ts mock`) or a bare node:http server replaying the
// mock's captured answers (`server.ts bare`). Each runs alone in its own process, so neither shares
// an event loop with the load generator or with the other.

import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Session } from "node:inspector";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { canaryCpuUs } from "./canary.ts";
import type { Canned, ServerMessage } from "./protocol.ts";
import { round, summarise } from "./stats.ts";

const send = (m: ServerMessage) => process.send?.(m);

/**
 * Time from a request's arrival to its last byte handed to the kernel, seen by the server itself, so
 * the figure holds no client time: what the issue means by "delays do not slow each other".
 */
let served: number[] = [];
/** Each request's arrival, in epoch ms (performance.timeOrigin + now(): one clock across processes). */
let arrived: number[] = [];
let timing = false;
/** Off while throughput is measured: a listener and two clock reads per request are CPU of their own. */
function timeRequests(server: Server): void {
  server.prependListener("request", (_req: IncomingMessage, res: ServerResponse) => {
    if (!timing) return;
    const t0 = performance.now();
    res.once("finish", () => {
      served.push(performance.now() - t0);
      arrived.push(performance.timeOrigin + t0);
    });
  });
}

/** A CPU profile of this process between two messages, through the inspector (`node --cpu-prof` covers the whole life, start-up included). */
let profiler: Session | undefined;
async function profile(on: boolean): Promise<string | undefined> {
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) =>
      profiler!.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))),
    );
  if (on) {
    profiler = new Session();
    profiler.connect();
    await post("Profiler.enable");
    await post("Profiler.setSamplingInterval", { interval: 100 });
    await post("Profiler.start");
    return undefined;
  }
  const { profile: result } = (await post("Profiler.stop")) as { profile: unknown };
  profiler!.disconnect();
  profiler = undefined;
  const path = join(mkdtempSync(join(tmpdir(), "faultline-bench-")), "mock.cpuprofile");
  writeFileSync(path, JSON.stringify(result));
  return path;
}

async function startBare(routes: Record<string, Canned>): Promise<{ url: string; close(): void }> {
  // A whole body goes out with its content-length, as the mock sends it; a stream goes chunked, one
  // HTTP chunk per event, as the mock writes it.
  for (const c of Object.values(routes)) {
    if (c.pieces.length === 1) c.headers["content-length"] = String(Buffer.byteLength(c.pieces[0]!));
  }
  function answer(canned: Canned, res: ServerResponse): void {
    res.writeHead(canned.status, canned.headers);
    if (canned.pieces.length === 1) {
      res.end(canned.pieces[0]);
      return;
    }
    // Gathered into one writev, as the mock writes a stream with no pause (mocks/transport.ts, burst):
    // the same bytes, the same chunks and the same trips to the kernel, so the two differ only in work.
    const socket = res.socket;
    socket?.cork();
    for (const p of canned.pieces) res.write(p);
    res.end();
    socket?.uncork();
  }
  // The body is read with the same listeners the mock uses, so the two differ only in what the mock decides.
  function handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const canned = routes[req.url ?? ""];
      if (!canned) {
        res.writeHead(404).end();
        return;
      }
      if (canned.delayMs) setTimeout(() => answer(canned, res), canned.delayMs);
      else answer(canned, res);
    });
  }
  const server = createServer(handle);
  timeRequests(server);
  server.keepAliveTimeout = 5_000;
  // The mock listens with the same backlog (mocks/server.ts), so a burst of connects is treated alike.
  await new Promise<void>((r) => server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, () => r()));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}

// How late the event loop runs, sampled every 10 ms: a server that keeps up stays in single milliseconds,
// whatever else the machine does to the client's measurements.
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

/** RSS once started, after a full collection when the process allows one (`--expose-gc`). */
function idleRss(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss;
}

/** All the CPU the canary took, left out of the CPU this process reports: it is not the server's work. */
let canaryCpuMs = 0;
let canaryWarm = false;
function canary(): number {
  // Compiled before any reading counts (the first readings of a fresh process are its compiler's work),
  // and only when first asked, after the idle memory was measured.
  if (!canaryWarm) {
    canaryWarm = true;
    for (let i = 0; i < 15; i++) canary();
  }
  const t0 = process.cpuUsage();
  const us = canaryCpuUs();
  const d = process.cpuUsage(t0);
  canaryCpuMs += (d.user + d.system) / 1000;
  return us;
}

const mode = process.argv[2];
let close: () => unknown = () => {};
let journal: (() => { size: number; dropped: number }) | undefined;

/** The served times of requests that arrived at `since` (epoch ms) or later: all of them without it. */
function servedSince(since: number | undefined): number[] {
  return since === undefined ? served : served.filter((_, i) => arrived[i]! >= since);
}

process.on(
  "message",
  async (m: {
    type: string;
    routes?: Record<string, Canned>;
    on?: boolean;
    since?: number;
    canary?: boolean;
  }) => {
    if (m.type === "canned" && mode === "bare") {
      const bare = await startBare(m.routes ?? {});
      close = bare.close;
      send({ type: "ready", url: bare.url, rssBytes: idleRss() });
    } else if (m.type === "usage") {
      const canaryUs = m.canary ? canary() : undefined;
      const cpu = process.cpuUsage();
      send({
        type: "usage",
        rssBytes: process.memoryUsage().rss,
        cpuUserMs: cpu.user / 1000 - canaryCpuMs,
        canaryUs,
        cpuSystemMs: cpu.system / 1000,
        journal: journal?.(),
        servedMs: summarise(servedSince(m.since)),
        loopDelayMs: {
          p50: round(loopDelay.percentile(50) / 1e6),
          p99: round(loopDelay.percentile(99) / 1e6),
          max: round(loopDelay.max / 1e6),
        },
      });
      served = [];
      arrived = [];
      loopDelay.reset();
    } else if (m.type === "timing") {
      timing = m.on === true;
      served = [];
      arrived = [];
    } else if (m.type === "profile") {
      send({ type: "profile", path: await profile(m.on === true) });
    } else if (m.type === "stop") {
      await close();
      process.exit(0);
    }
  },
);

if (mode === "mock") {
  // Imported here, so the bare server never loads the mock's modules and its idle memory is its own.
  const { startMock } = await import("../../mocks/server.ts");
  const mock = await startMock();
  timeRequests(mock.server);
  close = () => mock.close();
  journal = () => ({ size: mock.engine.journal.size, dropped: mock.engine.journal.dropped });
  send({ type: "ready", url: mock.url, rssBytes: idleRss() });
} else if (mode !== "bare") {
  process.stderr.write(`bench server: expected "mock" or "bare", saw "${mode}"\n`);
  process.exit(2);
}

// Forked by a bench script: when it goes (finished, killed, interrupted), this process goes with it.
process.on("disconnect", () => process.exit(0));
