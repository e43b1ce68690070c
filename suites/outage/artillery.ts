import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import { UsageError } from "../../core/errors.ts";
import type { DriveOptions, DriveStats, LoadEngine } from "./engine.ts";
import { MARKER_PREFIX, MARKER_SLOT, MAX_SAMPLE_BODY, type Sample } from "./sample.ts";

/**
 * Artillery (artillery.io) as the load engine: Faultline writes an Artillery script and a processor that
 * builds each request (its marker, its deadline) and posts what happened to a collector; judging, figures
 * and the report stay Faultline's. The same script runs on Artillery's distributed runners
 * (`artillery run-fargate`, `run-aci`) — the processor needs nothing but Node's own fetch.
 *
 * Artillery is not a dependency: it is large (≈590 MB with its cloud SDKs and Playwright) and its releases
 * after 2.0.21 need Node 22. Install it where you want this engine (docs/outage.md).
 */
export interface ArtilleryOptions {
  /** Artillery's command and flags: `run` (default) or e.g. `run-fargate --region eu-west-1 --count 4`. */
  args?: string;
  collectorHost?: string;
  /** 0 (default) picks a free port; a distributed run needs one the workers can be pointed at. */
  collectorPort?: number;
  /** How workers reach the collector, when not at the address it listens on (distributed runs). */
  collectorUrl?: string;
  /** Where the script, the processor and Artillery's log are written. */
  workDir: string;
  env: NodeJS.ProcessEnv;
}

export const ARTILLERY_INSTALL = "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --save-dev artillery@2.0.21";

/** The Artillery executable: FAULTLINE_ARTILLERY, else the project's own install. */
export function findArtillery(env: NodeJS.ProcessEnv): string | undefined {
  if (env.FAULTLINE_ARTILLERY)
    return existsSync(env.FAULTLINE_ARTILLERY) ? env.FAULTLINE_ARTILLERY : undefined;
  for (const base of [process.cwd(), import.meta.dirname]) {
    try {
      const pkg = createRequire(join(base, "noop.js")).resolve("artillery/package.json");
      const bin = join(pkg, "..", "bin", "run");
      if (existsSync(bin)) return bin;
    } catch {
      // not installed from here
    }
  }
  return undefined;
}

/** The processor Artillery loads in each worker: self-contained CommonJS, Node's fetch only. */
export function processorSource(): string {
  return `// Written by faultline outage: one request per virtual user, its outcome posted to Faultline's collector.
"use strict";
const { randomBytes } = require("node:crypto");
const T = JSON.parse(process.env.FAULTLINE_OUTAGE_TEMPLATE);
const COLLECTOR = process.env.FAULTLINE_COLLECTOR;
const RUN_ID = process.env.FAULTLINE_RUN_ID;
const GATEWAY = process.env.FAULTLINE_GATEWAY;
const DEADLINE_MS = Number(process.env.FAULTLINE_DEADLINE_MS);
const SLOT = ${JSON.stringify(MARKER_SLOT)};
const PREFIX = ${JSON.stringify(MARKER_PREFIX)};
const MAX_BODY = ${MAX_SAMPLE_BODY};
let begun;

function post(path, body) {
  return fetch(COLLECTOR + path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10000),
  }).then((r) => r.arrayBuffer());
}

async function once(events) {
  // The first request of each worker waits until the mock has started the scenario.
  begun ??= post("/begin", {});
  await begun;
  const id = RUN_ID + "." + randomBytes(8).toString("hex");
  const s = { id, sentAt: Date.now(), elapsedMs: 0, headers: {}, raw: "", timedOut: false };
  const started = performance.now();
  const signal = AbortSignal.timeout(DEADLINE_MS);
  try {
    const res = await fetch(GATEWAY + T.path, {
      method: T.method,
      headers: T.headers,
      body: T.body.split(SLOT).join(PREFIX + id),
      signal,
    });
    s.status = res.status;
    res.headers.forEach((v, k) => { s.headers[k] = v; });
    s.raw = (await res.text()).slice(0, MAX_BODY);
  } catch (e) {
    s.error = signal.aborted
      ? { code: "FAULTLINE_DEADLINE", message: "the harness gave up at its deadline" }
      : { code: (e.cause && e.cause.code) || e.code || "ERROR", message: String(e.message || e) };
  }
  s.timedOut = signal.aborted;
  s.elapsedMs = Math.round(performance.now() - started);
  const ok = s.status >= 200 && s.status < 300;
  events.emit("counter", ok ? "faultline.2xx" : "faultline.not_2xx", 1);
  events.emit("histogram", "faultline.latency_ms", s.elapsedMs);
  await post("/sample", s).catch(() => events.emit("counter", "faultline.collector_errors", 1));
}

function faultlineRequest(context, events, done) {
  once(events).then(() => done(), done);
}

module.exports = { faultlineRequest };
`;
}

/** The Artillery script: one open-loop phase at the run's rate; each virtual user sends one request. */
export function artilleryScript(gateway: string, rate: number, durationS: number): string {
  return stringify({
    config: {
      target: gateway,
      phases: [{ name: "faultline outage", duration: durationS, arrivalRate: rate }],
      processor: "./faultline-processor.cjs",
    },
    scenarios: [{ name: "faultline-outage", flow: [{ function: "faultlineRequest" }] }],
  });
}

function splitArgs(s: string): string[] {
  return s.trim().split(/\s+/).filter(Boolean);
}

export function artilleryEngine(o: ArtilleryOptions): LoadEngine {
  return {
    name: "artillery",
    async drive(d: DriveOptions): Promise<DriveStats> {
      const bin = findArtillery(o.env);
      if (!bin)
        throw new UsageError(
          `--engine artillery: Artillery is not installed here; install it with \`${ARTILLERY_INSTALL}\` (the last release that runs on Node 20) or set FAULTLINE_ARTILLERY to its executable`,
        );
      const dir = resolve(o.workDir, "artillery");
      mkdirSync(dir, { recursive: true });
      // Artillery cannot lengthen a run while it goes: it gets the recovery time up front.
      const durationS = Math.ceil((d.durationMs + Math.max(0, d.maxExtensionMs - d.deadlineMs)) / 1000);
      writeFileSync(join(dir, "outage.yml"), artilleryScript(d.gateway, d.rate, durationS));
      writeFileSync(join(dir, "faultline-processor.cjs"), processorSource());

      const token = randomBytes(12).toString("hex");
      let received = 0;
      let begun: Promise<number> | undefined;
      const server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
          const path = req.url ?? "";
          const answer = (status: number, body: unknown) =>
            res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
          if (req.method !== "POST" || !path.startsWith(`/${token}/`))
            return answer(404, { error: "not found" });
          if (path.endsWith("/begin")) {
            begun ??= d.begin();
            begun.then(
              (t0) => answer(200, { t0 }),
              (e: Error) => answer(500, { error: e.message }),
            );
            return;
          }
          try {
            const s = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Sample;
            // After an interruption, what still arrives was cut short by Artillery's stop: not judged.
            if (d.signal?.aborted) return answer(204, {});
            received++;
            d.onSample(s);
            answer(204, {});
          } catch (e) {
            answer(400, { error: (e as Error).message });
          }
        });
      });
      const host = o.collectorHost ?? "127.0.0.1";
      await new Promise<void>((r) => server.listen(o.collectorPort ?? 0, host, r));
      const { port } = server.address() as AddressInfo;
      const collector = `${o.collectorUrl ?? `http://${host.includes(":") ? `[${host}]` : host}:${port}`}/${token}`;
      const command = splitArgs(o.args ?? "run");
      const vars: Record<string, string> = {
        FAULTLINE_OUTAGE_TEMPLATE: JSON.stringify(d.template),
        FAULTLINE_COLLECTOR: collector,
        FAULTLINE_RUN_ID: d.runId,
        FAULTLINE_GATEWAY: d.gateway,
        FAULTLINE_DEADLINE_MS: String(d.deadlineMs),
      };
      // Artillery's cloud runners do not see this process's environment: they get it from a dotenv file
      // (`--dotenv`), which holds the client key, so it lives only as long as the run.
      const remote = command[0] !== "run";
      const dotenv = join(dir, "faultline.env");
      if (remote) {
        const lines = Object.entries(vars).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
        writeFileSync(dotenv, `${lines.join("\n")}\n`, { mode: 0o600 });
      }
      const args = [
        ...command,
        join(dir, "outage.yml"),
        ...(remote ? ["--dotenv", dotenv] : []),
        "--output",
        join(dir, "artillery-report.json"),
      ];
      const logFile = join(dir, "artillery.log");
      d.say(`faultline outage: artillery ${args.join(" ")} (log: ${logFile})`);
      const log = openSync(logFile, "w");
      try {
        const code = await new Promise<number>((done, fail) => {
          const child = spawn(bin, args, {
            cwd: dir,
            stdio: ["ignore", log, log],
            env: { ...o.env, ...vars, ARTILLERY_DISABLE_TELEMETRY: "true" },
          });
          child.once("error", fail);
          // An interrupted run stops Artillery as Ctrl-C would, and for good if it lingers.
          const stop = () => {
            child.kill("SIGINT");
            setTimeout(() => child.kill("SIGKILL"), 3_000).unref();
          };
          if (d.signal?.aborted) stop();
          d.signal?.addEventListener("abort", stop, { once: true });
          child.once("exit", (c, sig) => {
            d.signal?.removeEventListener("abort", stop);
            done(c ?? (sig ? 1 : 0));
          });
        });
        if (code !== 0 && received === 0 && !d.signal?.aborted)
          throw new Error(`artillery exited with code ${code} before any request; see ${logFile}`);
        return {
          engine: "artillery",
          sent: received,
          heldBack: 0,
          maxLagMs: 0,
          notes: [`artillery ${args.join(" ")} exited with code ${code}; log ${logFile}`],
        };
      } finally {
        closeSync(log);
        if (remote) rmSync(dotenv, { force: true });
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
      }
    },
  };
}
