// The machine's own speed, measured beside every run of bench:mock: a fixed piece of work timed in each
// server's process, on its pinned CPU. On a shared machine the neighbours come and go; while they are
// there, the same work takes longer (the bare server's CPU per answer went from 25 to 41 µs within one
// run on this project's machine), and the mock, with more code and data than bare, slows by more: rounds
// run then measure the machine, not the code. A round is judged only when the machine did not slow
// bare's run in it (`slowedRounds`, below; docs/mock.md, "Benchmark").

/**
 * 512 KiB: as large as a core's own second-level cache, so the walk is slowed by neighbours that share it.
 * Made on the first reading, not on import: the servers' idle memory is measured before any.
 */
let WALK: Uint8Array | undefined;
const RING = new Array<unknown>(64);
const MAP = new Map<string, number>();

/** What a server does per answer, in small: strings built and parsed as JSON, a map, a memory walk. */
function work(rounds: number): number {
  if (!WALK) {
    WALK = new Uint8Array(512 * 1024);
    for (let i = 0; i < WALK.length; i++) WALK[i] = i & 0xff;
  }
  const walk = WALK;
  let sum = 0;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < 64; i++) {
      const text = `{"id":"chatcmpl-${r}-${i}","n":${i},"text":"Hello from alpha (${r.toString(16)})."}`;
      const o = JSON.parse(text) as { id: string; n: number };
      RING[i] = o;
      MAP.set(o.id.slice(0, 12 + (i & 3)), o.n);
      sum += o.n + text.length;
    }
    for (let j = r & 63; j < walk.length; j += 64) sum += walk[j]!;
  }
  return sum + MAP.size;
}

/** Rounds of `work` per reading: about 1.3 ms on this project's machine when it is quiet. */
const ROUNDS = 40;

let sink = 0;
/**
 * CPU microseconds (user + system) that the fixed work took, the median of three back to back, so a
 * single interruption does not read as a slow machine. The result is kept (`sink`), so none of the work
 * can be left out by the compiler.
 */
export function canaryCpuUs(): number {
  const t: number[] = [];
  for (let k = 0; k < 3; k++) {
    const t0 = process.cpuUsage();
    sink ^= work(ROUNDS);
    const d = process.cpuUsage(t0);
    t.push(d.user + d.system);
  }
  t.sort((a, b) => a - b);
  return t[1]! + (sink & 0);
}

/**
 * Whether a reading shows the machine slower than its best seen: more than `tolerance` over the lowest
 * reading of the same process. The lowest reading is the machine at its quietest in this run, as far as
 * this run saw; a machine busy from start to end cannot be told from a quiet one this way.
 */
export function slowerThanBest(reading: number, best: number, tolerance: number): boolean {
  return reading > best * (1 + tolerance);
}

/** What a bare run left to tell how the machine was: its canary readings and its CPU per answer. */
export interface BareRun {
  pid: number | undefined;
  /** The canary in bare's process just before and just after the run. */
  canaryUs: readonly number[];
  cpuUsPerRequest: number;
}

/**
 * The indexes of bare runs, of one kind, that the machine slowed: the canary more than `canaryOver` over
 * the process's best reading on both sides of the run (a slow moment on one side is not a slow run), or
 * the run's CPU per answer more than `cpuOver` over the lowest of those runs (bare's work per answer does
 * not change, so only the machine makes it dearer). Only bare's runs are read: nothing the mock does in
 * its own run can leave out its rounds.
 */
export function slowedRounds(
  bareRuns: readonly BareRun[],
  bestOf: (pid: number | undefined) => number | undefined,
  tolerance: { canaryOver: number; cpuOver: number },
): Set<number> {
  const lowestCpu = Math.min(...bareRuns.map((r) => r.cpuUsPerRequest));
  const slowed = new Set<number>();
  bareRuns.forEach((r, i) => {
    const canary = Math.min(...r.canaryUs);
    if (
      slowerThanBest(canary, bestOf(r.pid) ?? canary, tolerance.canaryOver) ||
      slowerThanBest(r.cpuUsPerRequest, lowestCpu, tolerance.cpuOver)
    )
      slowed.add(i);
  });
  return slowed;
}
