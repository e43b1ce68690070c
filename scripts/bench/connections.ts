// `npm run bench:connections -- [--connections 10000] [--rate 2000] [--seconds 60] [--reference]`, by hand:
// N keep-alive connections to the mock carry a 429 storm for S seconds while this process asks
// `/_faultline/health` on a fresh connection every 100 ms. Prints errors, RSS over time and the health
// latency; exits 1 with the reasons when the storm was not held (storm-verdict.ts): a socket error, a
// connection closed, a request unanswered or answered other than 429, the server falling behind, health
// slower than 100 ms at p99, or RSS that kept growing.
// `--reference` then runs the same against a bare node:http server replaying the mock's answers: on a
// busy machine it tells the mock's own delay from the machine's.
//
// Three processes, loopback only: the mock (scripts/bench/server.ts), the load (connections-load.ts),
// and this one, which only probes and samples. Each needs a file descriptor per connection:
// `ulimit -n` must exceed --connections (the script says so when it does not).
import { type ChildProcess, execFileSync } from "node:child_process";
import { request as httpRequest } from "node:http";
import { availableParallelism, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { child, isType, next, serverChild, serverFlags, usage } from "./children.ts";
import type { ConnectionsJob, ConnectionsTick } from "./connections-load.ts";
import type { Canned } from "./protocol.ts";
import { round, summarise, table } from "./stats.ts";
import { judgeStorm, STORM_TARGETS } from "./storm-verdict.ts";

const PROBE_EVERY_MS = 100;
const PROBE_DEADLINE_MS = 3_000;
const WARMUP_S = Number(process.env.FAULTLINE_CONNECTIONS_WARMUP_S ?? 3);

function bad(message: string): never {
  process.stderr.write(`connections: ${message}\n`);
  process.exit(2);
}

function intFlag(name: string, v: string | undefined, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    bad(`--${name}: expected an integer between ${min} and ${max}, saw "${v}"`);
  return n;
}

let values: Record<string, string | boolean | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      connections: { type: "string" },
      rate: { type: "string" },
      seconds: { type: "string" },
      reference: { type: "boolean" },
    },
  }) as { values: Record<string, string | boolean | undefined> });
} catch (e) {
  bad((e as Error).message);
}
const str = (v: string | boolean | undefined) => (typeof v === "string" ? v : undefined);
// The defaults are issue 12's target: 10,000 connections of a 429 storm for 60 s.
const connections = intFlag("connections", str(values.connections), 10_000, 1, 20_000);
const ratePerS = intFlag("rate", str(values.rate), 2_000, 1, 100_000);
// Bounded, so a forgotten run never holds the machine for long.
const seconds = intFlag("seconds", str(values.seconds), 60, 1, 120);
/** Also run a bare node:http server replaying the same answers: what this machine allows at all. */
const reference = values.reference === true;

const fdLimit = Number(execFileSync("sh", ["-c", "ulimit -n"], { encoding: "utf8" }).trim());
if (Number.isFinite(fdLimit) && fdLimit < connections + 200) {
  bad(
    `--connections ${connections}: each process needs a file descriptor per connection, but ulimit -n is ${fdLimit}; run \`ulimit -n ${connections + 1024}\` first`,
  );
}

/** One health call on a fresh connection, as a monitor would make it; -1 when it failed or timed out. */
function probe(url: string): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = httpRequest(
      `${url}/_faultline/health`,
      { agent: false, timeout: PROBE_DEADLINE_MS },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode === 200 ? performance.now() - t0 : -1));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve(-1));
    req.end();
  });
}

const load1m = loadavg()[0]!;
const out = process.stdout;
out.write(
  `faultline connections — node ${process.version}, ${availableParallelism()} CPUs, load average ${round(load1m, 1)} at start\n`,
);
out.write(
  `${connections} keep-alive connections, 429 storm at ${ratePerS} req/s for ${seconds} s; health on a fresh connection every ${PROBE_EVERY_MS} ms\n`,
);

const mb = (b: number) => round(b / 1024 / 1024, 1);
const body = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hello" }] });

/** One run against a server child: the storm, the probes, the samples; prints its table and verdict. */
async function run(
  name: "mock" | "bare",
  server: ChildProcess,
  url: string,
  planId: string,
): Promise<boolean> {
  const { hostname, port } = new URL(url);
  const job: ConnectionsJob = {
    host: hostname,
    port: Number(port),
    request: [
      "POST /alpha/v1/chat/completions HTTP/1.1",
      `host: ${hostname}:${port}`,
      "content-type: application/json",
      "authorization: Bearer sk-bench-not-a-secret",
      `x-faultline-plan: ${planId}`,
      `content-length: ${Buffer.byteLength(body)}`,
      "",
      body,
    ].join("\r\n"),
    connections,
    ratePerS,
    durationMs: seconds * 1_000,
    connectBatch: 250,
  };
  const rssIdle = (await usage(server)).rssBytes;
  const loader = child("connections-load.ts");
  // A short storm on a few connections first: a deployed mock has compiled its hot path long before
  // its 5,000th connection, and a cold one spends its first seconds in the JIT (reported, not judged).
  if (WARMUP_S > 0) {
    const warm = next(loader, isType("done"));
    loader.send({ ...job, connections: 16, ratePerS: 2_000, durationMs: WARMUP_S * 1_000 });
    await warm;
  }
  const ticks: Array<ConnectionsTick & { rssBytes: number; loopP99: number; healthMs: number[] }> = [];
  let healthWindow: number[] = [];
  // Probes while the connections are being opened count apart: the target holds once they are open.
  const rampHealth: number[] = [];
  let ramping = true;
  const health: number[] = [];
  let healthFailures = 0;
  let probing = true;
  const prober = (async () => {
    while (probing) {
      const ms = await probe(url);
      if (ramping) rampHealth.push(ms);
      else if (ms < 0) healthFailures++;
      else {
        health.push(ms);
        healthWindow.push(ms);
      }
      await new Promise((r) => setTimeout(r, PROBE_EVERY_MS));
    }
  })();
  loader.on("message", async (m: { type: string }) => {
    if (m.type === "connected") {
      ramping = false;
      await usage(server); // starts the server's loop-delay window afresh
    }
    if (m.type !== "tick") return;
    const u = await usage(server);
    ticks.push({
      ...(m as ConnectionsTick),
      rssBytes: u.rssBytes,
      loopP99: u.loopDelayMs.p99,
      healthMs: healthWindow,
    });
    healthWindow = [];
  });
  const done = next<{ elapsedMs: number }>(loader, isType("done"));
  const rampStart = performance.now();
  loader.send(job);
  const connected = await next<{ open: number; errors: number }>(loader, isType("connected"));
  const rampMs = performance.now() - rampStart;
  await done;
  probing = false;
  await prober;
  loader.kill();

  const last = ticks.at(-1)!;
  const full = ticks.filter((t) => t.open >= connections);
  const rows: Array<Array<string | number>> = [
    ["s", "open", "answered/s", "errors", "skipped", "RSS MB", "health p99 ms", `${name} loop delay p99 ms`],
  ];
  let prev = 0;
  ticks.forEach((t, i) => {
    const h = summarise(t.healthMs);
    rows.push([i + 1, t.open, t.answered - prev, t.errors, t.skipped, mb(t.rssBytes), h.p99, t.loopP99]);
    prev = t.answered;
  });
  // Memory is flat when the last third of the run ends no higher than 10% above where it began.
  const tail = full.slice(Math.floor((full.length * 2) / 3));
  const growth = tail.length > 1 ? tail.at(-1)!.rssBytes / tail[0]!.rssBytes - 1 : 0;
  const h = summarise(health);
  const missed = judgeStorm({
    connections,
    openedAtStart: connected.open,
    openAtEnd: last.open,
    sent: last.sent,
    answered: last.answered,
    statuses: last.statuses,
    expectedStatus: 429,
    errors: last.errors,
    skipped: last.skipped,
    healthAnswered: health.length,
    healthFailures,
    healthP99Ms: h.p99 ?? 0,
    rssGrowth: growth,
  });
  const rh = summarise(rampHealth.filter((ms) => ms >= 0));
  out.write(`\n== ${name}\n`);
  out.write(
    `opening: ${connected.open} connections in ${Math.round(rampMs)} ms, ${connected.errors} errors; health meanwhile p99 ${rh.p99} ms (${rampHealth.filter((ms) => ms < 0).length} failed; not judged)\n\n`,
  );
  out.write(`${table(rows)}\n\n`);
  out.write(
    `sent ${last.sent}, answered ${last.answered} (${JSON.stringify(last.statuses)}), errors ${last.errors}, skipped ${last.skipped} (due while every connection was busy)\n`,
  );
  // After the first two seconds with every connection open: what the run settles to (shown, not judged).
  const settled = summarise(ticks.slice(2).flatMap((t) => t.healthMs));
  out.write(
    `health: ${health.length} answered, ${healthFailures} failed or over ${PROBE_DEADLINE_MS} ms; p50 ${h.p50} ms, p99 ${h.p99} ms, max ${h.max} ms (target p99 ≤ ${STORM_TARGETS.healthP99Ms}); from the 3rd second on p99 ${settled.p99} ms\n`,
  );
  out.write(
    `RSS: idle ${mb(rssIdle)} MB, peak ${mb(Math.max(...ticks.map((t) => t.rssBytes)))} MB, end ${mb(last.rssBytes)} MB; last third of the run ${growth >= 0 ? "+" : ""}${round(growth * 100, 1)}%\n`,
  );
  out.write(`${name}: ${missed.length === 0 ? "met" : `MISSED: ${missed.join("; ")}`}\n`);
  return missed.length === 0;
}

const mock = serverChild("mock", serverFlags());
const { url } = await next<{ url: string }>(mock, isType("ready"));
const plan = (await (
  await fetch(`${url}/_faultline/plans`, {
    method: "POST",
    body: JSON.stringify({ providers: { alpha: ["rate_limit"] }, label: "connections storm" }),
    signal: AbortSignal.timeout(5_000),
  })
).json()) as { id: string };
// What the bare reference replays: the mock's own storm answer and health answer.
const canned: Record<string, Canned> = {};
for (const [path, init] of [
  ["/alpha/v1/chat/completions", { method: "POST", headers: { "x-faultline-plan": plan.id }, body }],
  ["/_faultline/health", { method: "GET" }],
] as const) {
  const res = await fetch(url + path, { ...init, signal: AbortSignal.timeout(5_000) });
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => {
    if (!["date", "connection", "keep-alive", "transfer-encoding", "content-length"].includes(k))
      headers[k] = v;
  });
  canned[path] = { status: res.status, headers, pieces: [await res.text()], delayMs: 0 };
}
const mockOk = await run("mock", mock, url, plan.id);
mock.send({ type: "stop" });
let bareOk = true;
if (reference) {
  const bare = serverChild("bare");
  bare.send({ type: "canned", routes: canned });
  const { url: bareUrl } = await next<{ url: string }>(bare, isType("ready"));
  bareOk = await run("bare", bare, bareUrl, plan.id);
  bare.send({ type: "stop" });
  if (!mockOk && !bareOk)
    out.write(
      "\nthe bare server missed too: this machine was too busy for the target to say anything about the mock\n",
    );
}
process.exitCode = mockOk ? 0 : 1;
