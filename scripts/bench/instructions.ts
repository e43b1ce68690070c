// `npm run bench:instructions`: the mock's work per answer counted in machine instructions, under valgrind's
// callgrind, against the bare server replaying its answers, in the same run. Needs valgrind (Debian package
// `valgrind`); about two minutes on two CPUs.
//
// Why a second bench: CPU time per answer on a shared machine moves with the neighbours (on this project's
// machine the same code measured 25 µs at one hour and 70 µs at another), and a change worth 3% cannot be
// told from noise. Instruction counts repeat within a fraction of a percent, so they show what a change to
// the mock's hot path saves. They are not time: they leave out the kernel's work (reading and writing the
// sockets, about a third of bare's CPU), and cache misses weigh nothing, so this ratio is the mock's own work
// against node:http's and says nothing on the ≤ 1.15 CPU target of `npm run bench:mock`, which stays the
// measure of record. Counting instructions of a benchmark under callgrind is how CodSpeed makes CI benchmarks
// steady on shared runners.
//
// Both servers run with --single-threaded, so the collector works on the main thread where it is counted;
// its share depends on when it runs, so the comparison is made on the rest ("mutator"), and the collector
// and the JIT compiler are shown apart.
import { type ChildProcess, execFileSync, fork } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Pool } from "undici";
import { annotate, type CodeNames, mutator, perfMap } from "./callgrind.ts";
import { isType, next } from "./children.ts";
import { compiledServer } from "./compiled.ts";
import type { Canned, ServerMessage, Target } from "./protocol.ts";
import { round, table } from "./stats.ts";
import { capture, chat, post } from "./targets.ts";

const here = dirname(fileURLToPath(import.meta.url));
const REPORT = join(here, "../../reports/bench-instructions.json");
/** Requests before counting starts: every hot function is optimised by then (checked with --trace-opt). */
const WARMUP = 5_000;
/** Requests counted per scenario: ±CONNECTIONS requests in flight at the toggles is ±0.1%. */
const COUNTED = 10_000;
const CONNECTIONS = 8;
/** Under callgrind a server answers a few hundred requests a second; this bounds a whole scenario. */
const REQUEST_TIMEOUT_MS = 60_000;
const READY_TIMEOUT_MS = 180_000;

function fail(message: string): never {
  process.stderr.write(`bench:instructions: ${message}\n`);
  process.exit(2);
}

for (const tool of ["valgrind", "callgrind_control", "callgrind_annotate"]) {
  // callgrind_annotate answers --version with exit status 255, so only a tool that cannot start is missing.
  try {
    execFileSync(tool, ["--version"], { stdio: "ignore", timeout: 10_000 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT")
      fail(`needs ${tool} on the PATH, saw none (Debian: apt-get install valgrind)`);
  }
}

const dir = mkdtempSync(join(tmpdir(), "faultline-instructions-"));

/** A server child of the benchmark (server.ts) running under callgrind, counting nothing until told. */
function underCallgrind(mode: "mock" | "bare", run: number): ChildProcess {
  // The compiled server in plain node, as users run the mock (compiled.ts).
  return fork(compiledServer(), [mode], {
    execPath: "valgrind",
    execArgv: [
      "--tool=callgrind",
      // V8 writes machine code at run time and patches it; valgrind must see every change.
      "--smc-check=all-non-file",
      "--instr-atstart=no",
      `--callgrind-out-file=${join(dir, `${mode}.${run}.out`)}`,
      process.execPath,
      "--single-threaded",
      // Names JIT-compiled code in /tmp/perf-<pid>.map, which the report reads to name the mock's functions.
      "--perf-basic-prof",
    ],
    stdio: ["ignore", "ignore", "inherit", "ipc"],
    // --perf-basic-prof has V8 write isolate-*-v8.log files into the working directory: the temporary one.
    cwd: dir,
  });
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

const ready = (c: ChildProcess, what: string) =>
  withTimeout(next<Extract<ServerMessage, { type: "ready" }>>(c, isType("ready")), READY_TIMEOUT_MS, what);

/**
 * Sends `n` requests over CONNECTIONS keep-alive connections, each read to its end. Every answer must have
 * `status` (the one captured from the mock): a count of other work would be a figure of nothing.
 */
async function drive(pool: Pool, t: Target, n: number, status: number, connections: number): Promise<void> {
  const path = new URL(t.url).pathname;
  let left = n;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (left-- > 0) {
        const res = await pool.request({
          path,
          method: "POST",
          headers: t.headers,
          body: t.body,
          headersTimeout: REQUEST_TIMEOUT_MS,
          bodyTimeout: REQUEST_TIMEOUT_MS,
        });
        await res.body.text();
        if (res.statusCode !== status)
          throw new Error(`${t.url} answered ${res.statusCode} where the scenario expects ${status}`);
      }
    }),
  );
}

const callgrind = (pid: number, ...args: string[]) =>
  execFileSync("callgrind_control", [...args, String(pid)], { stdio: "ignore", timeout: 120_000 });

/** A delayed answer's own work: its timer, the head prepared before the wait, and what it keeps meanwhile. */
const DELAY_MS = 20;
const SCENARIOS = [
  {
    key: "completion",
    label: "200 chat completion (plan: ok)",
    warmup: WARMUP,
    counted: COUNTED,
    connections: CONNECTIONS,
  },
  {
    key: "storm",
    label: "429 storm (plan: rate_limit)",
    warmup: WARMUP,
    counted: COUNTED,
    connections: CONNECTIONS,
  },
  // 64 waiting at once, as bench:mock's throughput connections: the cost of waiting, not of a thousand waits.
  {
    key: "delayed",
    label: `200 after ${DELAY_MS} ms (plan: ok, delayMs)`,
    warmup: 2_000,
    counted: 4_000,
    connections: 64,
  },
] as const;
type ScenarioKey = (typeof SCENARIOS)[number]["key"];

const servers: ChildProcess[] = [];
const stopAll = () => {
  for (const c of servers) if (c.exitCode === null) c.kill("SIGKILL");
};
process.once("exit", stopAll);

/** One run: both servers started fresh under callgrind, every scenario counted, both stopped and read. */
async function measure(run: number) {
  const mock = underCallgrind("mock", run);
  servers.push(mock);
  const mockReady = await ready(mock, "the mock under callgrind");
  const chatUrl = `${mockReady.url}/alpha/v1/chat/completions`;
  const okPlan = await post(`${mockReady.url}/_faultline/plans`, { providers: { alpha: ["ok"] } });
  const storm = await post(`${mockReady.url}/_faultline/plans`, { providers: { alpha: ["rate_limit"] } });
  const slow = await post(`${mockReady.url}/_faultline/plans`, {
    providers: { alpha: [{ step: "ok", delayMs: DELAY_MS }] },
  });
  const targets: Record<ScenarioKey, Target> = {
    completion: chat(chatUrl, `hello ${okPlan.marker}`),
    storm: chat(chatUrl, `hello ${storm.marker}`),
    delayed: chat(chatUrl, `hello ${slow.marker}`),
  };
  const canned: Record<string, Canned> = {};
  for (const s of SCENARIOS)
    canned[`/${s.key}`] = await capture(targets[s.key], s.key === "delayed" ? DELAY_MS : 0);

  const bare = underCallgrind("bare", run);
  servers.push(bare);
  bare.send({ type: "canned", routes: canned });
  const bareReady = await ready(bare, "the bare server under callgrind");

  // The two servers are counted side by side, one per CPU: counts do not depend on time, and each
  // server's dumps are numbered in the order of the scenarios.
  const drain = async (c: ChildProcess, target: (key: ScenarioKey) => Target) => {
    for (const [i, s] of SCENARIOS.entries()) {
      const t = target(s.key);
      const pool = new Pool(new URL(t.url).origin, { connections: s.connections });
      try {
        const status = canned[`/${s.key}`]!.status;
        await drive(pool, t, s.warmup, status, s.connections);
        // Instrumented from here on (turning it off between windows left the next dump's counts wrapped
        // below zero); each window starts from zero and ends in a dump of its own.
        if (i === 0) callgrind(c.pid!, "--instr=on");
        callgrind(c.pid!, "--zero");
        await drive(pool, t, s.counted, status, s.connections);
        callgrind(c.pid!, "--dump");
      } finally {
        await pool.close();
      }
    }
  };
  await Promise.all([
    drain(mock, (key) => targets[key]),
    drain(bare, (key) => ({ ...targets[key], url: `${bareReady.url}/${key}` })),
  ]);
  for (const c of [mock, bare]) c.send({ type: "stop" });
  // callgrind writes its last file as the process exits; a server that does not exit is killed by stopAll.
  await withTimeout(
    Promise.all(
      [mock, bare].map((c) => (c.exitCode === null ? new Promise((r) => c.once("exit", r)) : null)),
    ),
    READY_TIMEOUT_MS,
    "the servers' exit",
  );

  // Each server's perf map names its JIT-compiled code; read, then removed (node writes it to /tmp).
  const read = (c: ChildProcess, mode: "mock" | "bare") => {
    const file = `/tmp/perf-${c.pid}.map`;
    let names: CodeNames;
    try {
      names = perfMap(readFileSync(file, "utf8"));
      // Kept beside callgrind's files when asked, to name the addresses in them by hand.
      if (process.env.FAULTLINE_BENCH_KEEP === "1") copyFileSync(file, join(dir, `${mode}.${run}.perf.map`));
    } finally {
      rmSync(file, { force: true });
    }
    return SCENARIOS.map((s, i) => {
      const parts = annotate(join(dir, `${mode}.${run}.out.${i + 1}`), names);
      if (parts.total <= 0)
        throw new Error(`callgrind counted nothing for the ${mode} server's ${s.key} window`);
      return parts;
    });
  };
  return { mock: read(mock, "mock"), bare: read(bare, "bare") };
}

try {
  // Two runs in fresh processes, and of each server the run with fewer instructions: now and then a process
  // settles for its whole life into a state 15–25% slower (hot functions left in V8's baseline tier, node's
  // process.nextTick building its tick objects through V8's runtime; about one process in eight under
  // callgrind), and one such run would say nothing about the code. Both runs are printed.
  const runs = [await measure(1), await measure(2)];
  const lower = (mode: "mock" | "bare", i: number) =>
    runs.map((r) => r[mode][i]!).reduce((x, y) => (mutator(y) < mutator(x) ? y : x));
  const per = (n: number, counted: number) => round(n / counted, 0);
  const rows: Array<Array<string | number>> = [
    [
      "scenario",
      "mock instr/ans",
      "bare instr/ans",
      "ratio",
      "mutator: mock",
      "bare",
      "ratio",
      "mock's mutator per run",
    ],
  ];
  const report: Record<string, unknown> = {};
  /** One table of parts and one of the mock's own functions per scenario broken down. */
  const tables: Array<Array<Array<string | number>>> = [];
  SCENARIOS.forEach((s, i) => {
    const m = lower("mock", i);
    const b = lower("bare", i);
    rows.push([
      s.label,
      per(m.total, s.counted),
      per(b.total, s.counted),
      round(m.total / b.total, 3),
      per(mutator(m), s.counted),
      per(mutator(b), s.counted),
      round(mutator(m) / mutator(b), 3),
      runs.map((r) => per(mutator(r.mock[i]!), s.counted)).join(" / "),
    ]);
    report[s.key] = {
      label: s.label,
      counted: s.counted,
      connections: s.connections,
      mock: { total: m.total, mutator: mutator(m), byPart: m.byPart, byFunction: m.byFunction },
      mockMutatorPerRun: runs.map((r) => mutator(r.mock[i]!)),
      bareMutatorPerRun: runs.map((r) => mutator(r.bare[i]!)),
      bare: { total: b.total, mutator: mutator(b), byPart: b.byPart },
    };
    // Where the difference lies, for the plain 200 and for the delayed one.
    if (s.key === "completion" || s.key === "delayed") {
      const name = s.key === "completion" ? "200 completion" : "delayed 200";
      const parts = [...new Set([...Object.keys(m.byPart), ...Object.keys(b.byPart)])];
      const diff = (p: string) => ((m.byPart[p] ?? 0) - (b.byPart[p] ?? 0)) / s.counted;
      tables.push([
        [`part (${name}), per answer`, "mock", "bare", "mock − bare"],
        ...parts
          .sort((x, y) => diff(y) - diff(x))
          .map((p) => [
            p,
            round((m.byPart[p] ?? 0) / s.counted, 0),
            round((b.byPart[p] ?? 0) / s.counted, 0),
            round(diff(p), 0),
          ]),
      ]);
      tables.push([
        [`the mock's own JavaScript (${name}), self`, "instr/ans"],
        ...Object.entries(m.byFunction)
          .sort((x, y) => y[1] - x[1])
          .slice(0, 12)
          .map(([f, n]) => [f, round(n / s.counted, 0)]),
      ]);
    }
  });
  const out = process.stdout;
  out.write(
    `faultline bench:instructions — node ${process.version}, callgrind; ${WARMUP} requests of warm-up, then ${COUNTED} counted per scenario over ${CONNECTIONS} connections (the delayed one: ${SCENARIOS[2].warmup}, then ${SCENARIOS[2].counted} over ${SCENARIOS[2].connections}); two runs of each server in fresh processes, the one with fewer instructions shown\n`,
  );
  out.write(
    "instructions executed in user space per answer (the kernel's socket work is not counted); mutator: without the collector and the JIT compiler\n\n",
  );
  out.write(`${[rows, ...tables].map(table).join("\n\n")}\n\n`);
  mkdirSync(dirname(REPORT), { recursive: true });
  writeFileSync(
    REPORT,
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, warmup: WARMUP, counted: COUNTED, connections: CONNECTIONS, scenarios: report }, null, 2)}\n`,
  );
  out.write(`written to ${REPORT}\n`);
  // FAULTLINE_BENCH_KEEP=1 keeps callgrind's files, to open with callgrind_annotate or kcachegrind.
  if (process.env.FAULTLINE_BENCH_KEEP === "1") out.write(`callgrind files kept in ${dir}\n`);
  else rmSync(dir, { recursive: true, force: true });
} catch (e) {
  stopAll();
  rmSync(dir, { recursive: true, force: true });
  fail((e as Error).message);
}
