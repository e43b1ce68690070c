import { type ChildProcess, execFileSync, fork } from "node:child_process";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { compiledServer } from "./compiled.ts";
import type { LoadJob, LoadResult, ServerMessage } from "./protocol.ts";
import { round } from "./stats.ts";

const here = dirname(fileURLToPath(import.meta.url));

export type Usage = Extract<ServerMessage, { type: "usage" }>;

/**
 * Forks one of the benchmark's scripts with this process's execArgv (it carries tsx's loader) and
 * `nodeFlags` after it, e.g. `--cpu-prof` for the server under test.
 */
export function child(script: string, args: string[] = [], nodeFlags: string[] = []): ChildProcess {
  return fork(join(here, script), args, {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    execArgv: [...process.execArgv, ...nodeFlags],
  });
}

/**
 * A server child (server.ts `mock` or `bare`) as the compiled JavaScript users run, in plain node with only
 * `nodeFlags`: no TypeScript loader in the process under test (compiled.ts says why).
 */
export function serverChild(mode: "mock" | "bare", nodeFlags: string[] = []): ChildProcess {
  return fork(compiledServer(), [mode], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    execArgv: nodeFlags,
  });
}

/** Node flags for the server under test, from FAULTLINE_BENCH_SERVER_FLAGS (`--cpu-prof`, `--trace-gc`). */
export function serverFlags(): string[] {
  return (process.env.FAULTLINE_BENCH_SERVER_FLAGS ?? "").split(/\s+/).filter(Boolean);
}

/** The child's next message that `accept` takes; rejects if the child exits first. */
export function next<T>(c: ChildProcess, accept: (m: unknown) => boolean = () => true): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown) => {
      if (!accept(m)) return;
      c.off("message", onMessage);
      c.off("exit", onExit);
      resolve(m as T);
    };
    const onExit = (code: number | null) =>
      reject(new Error(`bench child exited (${code}) before answering`));
    c.on("message", onMessage);
    c.once("exit", onExit);
  });
}

export const isType = (t: string) => (m: unknown) => (m as { type?: string }).type === t;

/** The server's footprint; its served times only of requests that arrived at `since` (epoch ms) or later. */
export async function usage(server: ChildProcess, since?: number, canary = false): Promise<Usage> {
  const p = next<Usage>(server, isType("usage"));
  server.send({ type: "usage", since, canary });
  return p;
}

/** Runs one load job and reads what the server spent on it: CPU share and its own per-request time. */
export async function measured<R extends LoadResult>(
  server: ChildProcess,
  loader: ChildProcess,
  job: LoadJob,
) {
  const before = await usage(server, undefined, true);
  const t0 = performance.now();
  const p = next<R>(loader);
  loader.send(job);
  const result = await p;
  const wallMs = performance.now() - t0;
  // A burst's served times leave out its warm-up round, as its client latencies do.
  const after = await usage(server, result.kind === "burst" ? result.measuredFrom : undefined, true);
  const cpuMs = after.cpuUserMs + after.cpuSystemMs - before.cpuUserMs - before.cpuSystemMs;
  return {
    result,
    serverCpu: round(cpuMs / wallMs, 2),
    /** Server CPU time per request (user + system, warm-up included): steadier than req/s on a busy machine. */
    cpuUsPerRequest: round((cpuMs * 1000) / Math.max(1, result.totalRequests), 1),
    servedMs: after.servedMs,
    /** The canary's readings just before and just after the run, in the server's process (canary.ts). */
    canaryUs: [before.canaryUs ?? Number.NaN, after.canaryUs ?? Number.NaN] as const,
  };
}

/** Read once: a process pinned to one CPU sees only that one in availableParallelism(). */
const CPUS = availableParallelism();

/**
 * Pins a process and all its threads (V8's, libuv's) to one CPU with taskset, as the issue measured: the
 * server under test on one core, the load generator on the other. Unpinned, the scheduler moves both
 * around and puts them on one core now and then, and rounds of the same code differed by a third.
 * Answers the CPU, or undefined where it cannot pin (not Linux, one CPU, no taskset).
 */
export function pin(pid: number | undefined, cpu: number): number | undefined {
  if (pid === undefined || process.platform !== "linux" || CPUS < 2) return undefined;
  try {
    execFileSync("taskset", ["-a", "-cp", String(cpu), String(pid)], { stdio: "ignore", timeout: 5_000 });
    return cpu;
  } catch {
    return undefined;
  }
}
