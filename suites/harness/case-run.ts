import type { JournalEntry } from "../../mocks/journal.ts";
import type { Check } from "../checks/registry.ts";
import type { RunContext } from "./context.ts";
import { STEP_COVERAGE } from "./coverage.ts";
import { execute } from "./execute.ts";
import { type Execution, failing, type Verdict } from "./judge.ts";
import type { Watchdog } from "./liveness.ts";
import type { ViolationRecord } from "./result.ts";
import type { LoopLoss, StallWatch } from "./stall.ts";
import { type CaseSpec, type Exchange, refusedBeforeUpstream } from "./types.ts";

/** One execution of a case, as LIVE-001 names it when the gateway stops accepting connections after it. */
export interface CaseMark {
  c: CaseSpec;
  ex: Execution;
  property: string;
  seed: number;
  path?: string;
}

export type CaseRun =
  /** Judged by every check that applies; `settled` when it took a retry after --settle-ms. */
  | { kind: "judged"; ex: Execution; settled: boolean }
  /**
   * It happened but could not be judged: the gateway answered from its own state, or it was down, or the
   * harness stalled. `unconfirmed`: checks it failed, but only on runs the harness cannot vouch for; they
   * may not pass on the strength of the other cases (outcomes.ts).
   */
  | { kind: "inconclusive"; reason: string; settled: boolean; unconfirmed?: string[] }
  /** The gateway stopped accepting connections after this case: LIVE-001's finding, no other check's. */
  | { kind: "culprit" }
  /** The run is stopping; the case was not sent. */
  | { kind: "stopped" };

export interface CaseEnv {
  watchdog: Watchdog<CaseMark>;
  settleMs: number;
  /** The user's reset hook (--between-cases); returns false when it failed and the run stops. */
  beforeCase?: () => Promise<boolean>;
  stopped(): boolean;
  /** The harness's own event loop; a failure judged while it stood still is run again (stall.ts). */
  stalls?: StallWatch;
}

/**
 * A stall of the harness's event loop long enough to make a case's timing the machine's: a quarter of the
 * built-in gateway's 1 s attempt timeout, and far above the GC pauses of a healthy run.
 */
export const STALL_MS = 250;
/**
 * A loop starved of CPU rather than stopped: late by this much in all over the case, and for at least half
 * of it. Then every answer, the mock's in built-in mode included, came later than the case meant.
 */
export const STARVED_MS = 500;
const STARVED_SHARE = 0.5;
/** Runs of a case that failed while the harness stalled, before it is called inconclusive. */
const STALL_TRIES = 3;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const FAILOVER = new Set(["upstream.failover", "upstream.stream_failover"]);
/** A step that answers (ok, latency, slow_stream): the provider a failover case expects to be asked. */
const isOk = (step: unknown) => {
  const id = typeof step === "object" && step !== null ? (step as { step?: unknown }).step : step;
  return typeof id === "string" && STEP_COVERAGE[id]?.json === "answer";
};

export interface Skip {
  reason: string;
  /**
   * The first provider was skipped: the case says nothing about the gateway until its state settles.
   * Otherwise a later provider the case needs was skipped (the one that would answer a failover): once
   * more after the settle time, and if the gateway skips it again, that is its failover, and it is judged.
   */
  first: boolean;
}

/**
 * Why a case could not be judged although the gateway answered: it did not contact the provider the plan
 * targets (the first in priority order, and for failover the first that answers ok), as a circuit breaker
 * or cooldown left by earlier cases would do (docs/contract.md §27). Multi-request cases are left alone:
 * their later steps may rightly stay local.
 */
export function targetSkipped(c: CaseSpec, ex: Exchange, providers: string[]): Skip | undefined {
  if (!c.plan || c.scenario || ex.status === undefined) return undefined;
  // A client-side refusal's plan only shows whether a provider was asked: none should be (BILL-001).
  if (refusedBeforeUpstream(c.condition)) return undefined;
  const journal = ex.journal ?? [];
  const why = "(a circuit breaker or cooldown?)";
  if (journal.length === 0)
    return { reason: `the mock saw no attempt: the gateway answered from its own state ${why}`, first: true };
  const plan = c.plan.providers;
  const order = providers.filter((p) => p in plan);
  const tried = (p: string) => journal.some((e) => e.provider === p);
  const first = order[0] ?? Object.keys(plan)[0];
  if (first && !tried(first))
    return { reason: `the gateway skipped ${first}, the provider the case targets ${why}`, first: true };
  if (first && gaveUpEarly(c, journal, first, plan[first]?.[0]))
    return { reason: gaveUpReason(first), first: true };
  const answering = FAILOVER.has(c.condition) ? order.find((p) => isOk(plan[p]?.[0])) : undefined;
  if (answering && !tried(answering))
    return {
      reason: `the gateway skipped ${answering}, the provider that would answer ${why}`,
      first: false,
    };
  if (answering && gaveUpEarly(c, journal, answering, plan[answering]?.[0]))
    return { reason: gaveUpReason(answering), first: false };
  return undefined;
}

const stalledReason = (loop: LoopLoss, windowMs: number) =>
  `it failed ${STALL_TRIES} times while the harness's own event loop stood still or starved (last run: ${loop.longest} ms at worst, ${loop.lost} ms late over ${Math.round(windowMs)} ms): its timings, and in built-in mode the gateway's timers, were the machine's; run on a less loaded machine or with --concurrency 1`;

const gaveUpReason = (p: string) =>
  `the gateway gave up on ${p} before the mock's prompt answer reached it (an attempt timeout shorter than this machine's latency? the mock's journal shows the connection closed first)`;

/** Roles of steps the mock answers at once, unless a delay was asked for: nothing for a gateway to time out. */
const PROMPT_ROLES = new Set(["answer", "retryable", "non_retryable", "refusal"]);

/**
 * The gateway closed its attempt at `provider` (the journal's `closedAt`) before the mock had written a step
 * that answers at once: the case never showed the gateway its condition. A correct gateway whose attempt
 * timeout is near a loaded machine's latency does this now and then; judging it would make the harness's
 * slowness the gateway's failure. Steps that are slow on purpose (hangs, stalls, latency) are the gateway's
 * to time out and are judged as they are.
 */
function gaveUpEarly(c: CaseSpec, journal: JournalEntry[], provider: string, step: unknown): boolean {
  // A client that hangs up on purpose makes the gateway close its attempts: that is the case (§22).
  if (c.clientAbort) return false;
  const entry = journal.find((e) => e.provider === provider);
  if (entry?.closedAt === undefined) return false;
  const spec = typeof step === "object" && step !== null ? (step as Record<string, unknown>) : { step };
  const id = spec.step;
  if (typeof id !== "string" || spec.delayMs !== undefined) return false;
  const cov = STEP_COVERAGE[id];
  if (!cov || cov.slow) return false;
  const stream = /"stream"\s*:\s*true/.test(c.request.body ?? "") || /stream/i.test(c.request.path);
  return PROMPT_ROLES.has(stream ? cov.stream : cov.json);
}

/**
 * Runs one case against the gateway: probes it after a transport error (a crash is LIVE-001's, and cases
 * it cut short are "gateway down"), and retries once after `settleMs` when the gateway skipped the
 * provider the case targets. Throws only when the harness itself fails (the mock's control API).
 */
export async function runCase(
  c: CaseSpec,
  ctx: RunContext,
  checks: Check[],
  env: CaseEnv,
  mark: (ex: Execution) => CaseMark,
): Promise<CaseRun> {
  let settled = false;
  let afterRestart = false;
  let stalled = 0;
  for (;;) {
    if (env.stopped()) return { kind: "stopped" };
    if (env.beforeCase && !(await env.beforeCase())) return { kind: "stopped" };
    const from = performance.now();
    const ex = await execute(c, ctx, checks);
    // A failure judged while the harness stood still may be the machine's: run it again; only a failure
    // that also shows on a run without a stall is the gateway's.
    const to = performance.now();
    const failed = failing(ex.verdicts, checks, ctx.profile);
    const loop = failed.length ? env.stalls?.during(from, to) : undefined;
    if (
      loop &&
      (loop.longest >= STALL_MS || (loop.lost >= STARVED_MS && loop.lost >= (to - from) * STARVED_SHARE))
    ) {
      if (++stalled < STALL_TRIES) continue;
      const unconfirmed = [...new Set(failed.map((v) => v.checkId))];
      return { kind: "inconclusive", reason: stalledReason(loop, to - from), settled, unconfirmed };
    }
    const m = { value: mark(ex), errorCode: ex.exchange.error?.code };
    if (ex.exchange.error) {
      const health = await env.watchdog.check(m);
      if (health.state !== "up") {
        if (health.culprit === m.value) return { kind: "culprit" };
        // The gateway is back: this case was cut short by the crash, so it runs once more.
        if (health.state === "recovered" && !afterRestart) {
          afterRestart = true;
          continue;
        }
        return { kind: "inconclusive", reason: `gateway down (${health.detail})`, settled };
      }
    }
    env.watchdog.reached(m);
    const skipped = targetSkipped(c, ex.exchange, ctx.providers);
    if (!skipped || (settled && !skipped.first)) return { kind: "judged", ex, settled };
    if (settled) return { kind: "inconclusive", reason: skipped.reason, settled };
    settled = true;
    await sleep(env.settleMs);
  }
}

/** A violation as reports show it: the verdict, the case, what the gateway answered, the journal, the replay. */
export function recordViolation(
  v: Verdict,
  c: CaseSpec,
  ex: Execution,
  seed: number,
  path: string | undefined,
  shrunk: boolean,
): ViolationRecord {
  const { url, status, headers, raw, elapsedMs, error, timedOut } = ex.exchange;
  return {
    checkId: v.checkId,
    property: c.property,
    expected: v.expected,
    received: v.received,
    case: c,
    exchange: { url, status, headers, raw: raw.slice(0, 4096), elapsedMs, error, timedOut },
    journal: (ex.exchange.journal ?? []).map((e) => ({
      provider: e.provider,
      attempt: e.attempt,
      step: e.step.step,
      status: e.status,
      receivedAt: e.receivedAt,
    })),
    seed,
    path,
    shrunk,
  };
}
