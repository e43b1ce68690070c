import fc from "fast-check";
import { hashSeed } from "../../core/rng.ts";
import type { Check } from "../checks/registry.ts";
import { type CaseEnv, type CaseMark, type CaseRun, recordViolation, runCase } from "./case-run.ts";
import type { RunContext } from "./context.ts";
import type { CoverageTally } from "./coverage-matrix.ts";
import { type Execution, failing } from "./judge.ts";
import type { Watchdog } from "./liveness.ts";
import type { Tally } from "./outcomes.ts";
import type { Property } from "./property.ts";
import type { PropertyOutcome, SetupProblem, ViolationRecord } from "./result.ts";
import type { RunOptions } from "./run-options.ts";
import type { StallWatch } from "./stall.ts";
import type { CaseSpec } from "./types.ts";

// One property of a run: its cases generated and judged, then the first failure shrunk.

const MAX_VIOLATIONS_PER_CHECK = 5;
export const LIVENESS_CHECK = "LIVE-001";
export const DEFAULT_RESTART_WAIT_MS = 10_000;

/**
 * Every case may take the harness deadline twice (once more after an inconclusive answer) plus the settle
 * time, and shrinking gets a minute more: a property that hits this is stopped, and reported incomplete.
 */
export function defaultPropertyBudgetMs(harnessDeadlineMs: number, runs: number, settleMs = 0): number {
  return runs * (2 * harnessDeadlineMs + settleMs) + 60_000;
}

/** The checks a property's cases exist for: its own, and LIVE-001, which every case is a case of. */
export const listed = (p: Property) => [...p.checks, LIVENESS_CHECK];

/** What every property of a run shares. */
export interface RunEnv {
  /** The selected checks: every case is judged by all of them. */
  checks: Check[];
  tallies: Map<string, Tally>;
  active: Set<string>;
  /**
   * Selected checks that no property lists: checks that judge every exchange they apply to (LEAK-002,
   * RID-001 …). Every property's cases are theirs, so `--only LEAK-002` runs every property for them.
   */
  unlisted: Set<string>;
  watchdog: Watchdog<CaseMark>;
  opts: RunOptions;
  settleMs: number;
  restartWaitMs: number;
  stop?: string;
  setup?: SetupProblem[];
  hook(ctx: RunContext): Promise<boolean>;
  /** What every upstream case reached, for the coverage matrix. */
  coverage?: CoverageTally;
  /** Coverage cases of one property run at once (they are independent plans). */
  coverageWidth: number;
  /** The harness's event loop, watched for the run (stall.ts). */
  stalls: StallWatch;
}

export const stoppedReason = (env: RunEnv): string | undefined => {
  const gone = env.watchdog.gone;
  if (!env.stop && gone?.state === "gone")
    env.stop = `the gateway stopped accepting connections${gone.culprit ? ` after ${describeCase(gone.culprit)}` : ""} and did not come back within ${env.restartWaitMs} ms (${gone.detail})`;
  if (env.stop) return env.stop;
  const s = env.opts.signal;
  if (s?.aborted) return typeof s.reason === "string" ? s.reason : "interrupted";
  return undefined;
};

export function addViolation(env: RunEnv, v: ViolationRecord, replaceUnshrunk = false): void {
  const t = env.tallies.get(v.checkId)!;
  // A shrunk counterexample replaces the unshrunk one of the same property.
  const i = t.violations.findIndex((x) => x.property === v.property);
  if (i >= 0 && replaceUnshrunk) t.violations[i] = v;
  else if (i < 0 && t.violations.length < MAX_VIOLATIONS_PER_CHECK) t.violations.push(v);
}

/** Counts one case into the coverage matrix: judged (failed or held, reached or not), inconclusive, or a crash. */
function tallyCoverage(env: RunEnv, c: CaseSpec, r: CaseRun, ctx: RunContext): void {
  if (!env.coverage || r.kind === "stopped") return;
  if (r.kind === "judged")
    env.coverage.record(c, {
      kind: "judged",
      journal: r.ex.exchange.journal ?? [],
      failed: [...new Set(failing(r.ex.verdicts, env.checks, ctx.profile).map((v) => v.checkId))],
    });
  else env.coverage.record(c, { kind: r.kind });
}

/** Counts one case's result into the run's tallies. */
function tallyCase(env: RunEnv, r: CaseRun, primary: Set<string>): void {
  if (r.kind === "judged") {
    for (const id of r.ex.evaluated) env.tallies.get(id)!.evaluated++;
    if (env.active.has(LIVENESS_CHECK)) env.tallies.get(LIVENESS_CHECK)!.evaluated++;
  } else if (r.kind === "inconclusive") {
    for (const id of primary) {
      const m = env.tallies.get(id)!.inconclusive;
      m.set(r.reason, (m.get(r.reason) ?? 0) + 1);
    }
    for (const id of r.unconfirmed ?? []) {
      const m = env.tallies.get(id)?.unconfirmed;
      m?.set(r.reason, (m.get(r.reason) ?? 0) + 1);
    }
  }
}

export async function runProperty(prop: Property, ctx: RunContext, env: RunEnv): Promise<PropertyOutcome> {
  const started = Date.now();
  const seed = hashSeed(ctx.seed, prop.id) | 0;
  const family = ctx.family ?? "default";
  const runs = prop.runs?.(ctx) ?? ctx.runs;
  const base = {
    id: prop.id,
    suite: prop.suite,
    title: prop.title,
    seed,
    requested: runs,
    executed: 0,
    inconclusive: 0,
  };
  const stopped = stoppedReason(env);
  const reason = stopped
    ? `not run: the run stopped (${stopped})`
    : prop.needsMock && !ctx.mock
      ? "no mock URL given (--mock): upstream properties need the mock"
      : prop.skip?.(ctx);
  if (reason) return { ...base, status: "skipped", reason, durationMs: 0 };
  const primary = new Set([...listed(prop), ...env.unlisted].filter((id) => env.active.has(id)));
  if (primary.size === 0)
    return { ...base, status: "skipped", reason: "none of its checks is selected", durationMs: 0 };
  const checks = env.checks;
  const inFamily = (c: CaseSpec): CaseSpec =>
    family === "default" ? c : { ...c, family, property: prop.id };
  const coverage = (prop.coverage?.(ctx) ?? []).map(inFamily);
  const budgetMs =
    env.opts.propertyBudgetMs ??
    defaultPropertyBudgetMs(ctx.harnessDeadlineMs, runs + coverage.length, env.settleMs);
  const arbitrary = prop.arbitrary(ctx).map(inFamily);
  const caseEnv: CaseEnv = {
    watchdog: env.watchdog,
    settleMs: env.settleMs,
    beforeCase: prop.needsMock ? () => env.hook(ctx) : undefined,
    stopped: () => stoppedReason(env) !== undefined,
    stalls: env.stalls,
  };
  const run = (c: CaseSpec, path?: string) =>
    runCase(c, ctx, checks, caseEnv, (ex) => ({ c, ex, property: prop.id, seed, path }));

  let index = 0;
  let executed = 0;
  let inconclusive = 0;
  let settled = 0;
  let crashed = false;
  let coverageFailed = false;
  let failures = 0;
  let thrown: Error | undefined;
  let first: { index: number; c: CaseSpec; ex: Execution } | undefined;
  const firstSeen = new Map<string, ViolationRecord>();
  /** Tallies one case of either phase; the judged execution when there is one. */
  const count = (c: CaseSpec, r: CaseRun, path?: string): Execution | undefined => {
    executed++;
    if ((r.kind === "judged" || r.kind === "inconclusive") && r.settled) settled++;
    tallyCase(env, r, primary);
    tallyCoverage(env, c, r, ctx);
    if (r.kind === "inconclusive") inconclusive++;
    if (r.kind === "culprit") crashed = true;
    if (r.kind === "culprit" || (r.kind === "judged" && r.ex.verdicts.length)) failures++;
    env.opts.onCase?.({ property: prop.id, done: executed, requested: runs + coverage.length, failures });
    if (r.kind !== "judged") return undefined;
    for (const v of r.ex.verdicts)
      if (!firstSeen.has(v.checkId)) firstSeen.set(v.checkId, recordViolation(v, c, r.ex, seed, path, false));
    return r.ex;
  };

  // Coverage phase: every deterministic case, a few at once. A failure is recorded as found (these
  // cases have no fast-check path to shrink along); the random phase still runs and shrinks its own.
  const queue = [...coverage];
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(env.coverageWidth, queue.length)) }, async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        if (thrown || stoppedReason(env) || Date.now() - started > budgetMs) return;
        try {
          const r = await run(c);
          if (r.kind === "stopped") return;
          const ex = count(c, r);
          if (ex && failing(ex.verdicts, checks, ctx.profile, primary).length) coverageFailed = true;
        } catch (e) {
          thrown = e instanceof Error ? e : new Error(String(e));
        }
      }
    }),
  );
  const coverageShort = queue.length > 0;

  // Generation: every requested case runs and every check judges it, whatever failed before, so one
  // defect cannot hide another. The predicate records instead of failing; only a harness error or a
  // stopping run ends it early (endOnFailure: no shrinking of those).
  const generation = fc.asyncProperty(arbitrary, async (c) => {
    const i = index++;
    try {
      const r = await run(c, String(i));
      if (r.kind === "stopped") return false;
      const ex = count(c, r, String(i));
      if (ex && !first && failing(ex.verdicts, checks, ctx.profile, primary).length)
        first = { index: i, c, ex };
      return true;
    } catch (e) {
      thrown = e instanceof Error ? e : new Error(String(e));
      return false;
    }
  });
  const generationMs = started + budgetMs - Date.now();
  const gen =
    thrown || stoppedReason(env) || generationMs <= 0
      ? { interrupted: true }
      : await fc.check(generation, {
          seed,
          numRuns: runs,
          interruptAfterTimeLimit: generationMs,
          markInterruptAsFailure: false,
          endOnFailure: true,
        });
  for (const v of firstSeen.values()) addViolation(env, v);
  // A mock that stopped answering fails every upstream property after this one the same way: stop here.
  if (thrown && ctx.mock)
    await ctx.mock.health().catch((e: Error) => {
      env.stop ??= `the mock ${ctx.mock!.baseUrl} stopped answering (${e.message})`;
    });

  // Shrinking: from the first case that failed a primary check, replayed by fast-check's seed and path.
  // The last failing execution is the counterexample: it is never sent to the gateway once more.
  const left = started + budgetMs - Date.now();
  if (first && !thrown && !stoppedReason(env) && left > 0) {
    const origin = first;
    let last: { c: CaseSpec; ex: Execution } | undefined;
    let replayed = false;
    const shrinking = fc.asyncProperty(arbitrary, async (c) => {
      // The first value at the path is the case generation already saw failing.
      if (!replayed) {
        replayed = true;
        return false;
      }
      if (stoppedReason(env)) return true;
      try {
        const r = await run(c);
        if (r.kind !== "judged" || !failing(r.ex.verdicts, checks, ctx.profile, primary).length) return true;
        last = { c, ex: r.ex };
        return false;
      } catch {
        return true;
      }
    });
    const shrunk = await fc.check(shrinking, {
      seed,
      numRuns: runs,
      path: String(origin.index),
      interruptAfterTimeLimit: left,
      markInterruptAsFailure: false,
    });
    const final = last ?? origin;
    const path = shrunk.counterexamplePath ?? String(origin.index);
    for (const v of final.ex.verdicts)
      addViolation(env, recordViolation(v, final.c, final.ex, seed, path, last !== undefined), true);
  }

  const durationMs = Date.now() - started;
  const requested = runs + coverage.length;
  const done = {
    ...base,
    requested,
    ...(coverage.length ? { coverageCases: coverage.length } : {}),
    executed,
    inconclusive,
    ...(settled ? { settled } : {}),
    durationMs,
  };
  if (thrown) return { ...done, status: "error", reason: thrown.message };
  const stop = stoppedReason(env);
  const short =
    executed < requested || coverageShort
      ? stop
        ? `the run stopped after ${executed} of ${requested} cases (${stop})`
        : `stopped by its time budget (${budgetMs} ms, --property-budget-ms) after ${executed} of ${requested} cases`
      : undefined;
  if (first || crashed || coverageFailed)
    return { ...done, status: "failed", ...(short ? { reason: short } : {}) };
  if (short || gen.interrupted) return { ...done, status: "incomplete", reason: short ?? "interrupted" };
  return { ...done, status: "passed" };
}

export function describeCase(m: CaseMark): string {
  return `a ${m.property} case (${m.c.condition}${m.path !== undefined ? `, path ${m.path}` : ""})`;
}
