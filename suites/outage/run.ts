import { faker } from "@faker-js/faker";
import type { Profile } from "../../core/profile/schema.ts";
import { CONFIRM_S, REC_001 } from "../checks/recovery.ts";
import { chatRequest } from "../harness/requests.ts";
import type { Target } from "../target.ts";
import { JOURNAL_SETTLE_MS, preflight, startScenario, stopScenario } from "./control.ts";
import type { DriveStats, LoadEngine } from "./engine.ts";
import { Findings } from "./findings.ts";
import { JournalFeed } from "./journal.ts";
import { type JudgeContext, judgeSample, outageChecks } from "./judging.ts";
import { type OutagePlan, phaseAt } from "./phases.ts";
import { RecoveryWatch } from "./recovery-watch.ts";
import { type OutageHeader, type OutageResult, outageVerdict, setupResult } from "./result.ts";
import { MARKER_SLOT, newRunId, type Sample } from "./sample.ts";

export type { OutageResult } from "./result.ts";

export interface OutageOptions {
  plan: OutagePlan;
  profile: Profile;
  target: Target & { mock: string };
  /** The mock's providers in the gateway's priority order. */
  providers: string[];
  rate: number;
  engine: LoadEngine;
  seed: number;
  /** The harness's deadline for one answer (the gateway's deadline plus a grace period). */
  harnessDeadlineMs: number;
  mockToken?: string;
  strict?: boolean;
  say?: (line: string) => void;
  /**
   * Aborted to interrupt the run (its reason names the signal, `"SIGINT"`): traffic stops, what was answered
   * is judged, and the result holds the phases played so far, marked `interrupted`.
   */
  signal?: AbortSignal;
}

const POLL_EVERY_MS = 500;
/** Requests judged between two yields, so the load engine's timers keep their schedule. */
const JUDGE_SLICE = 200;

/** Looping scenarios repeat phase names: number them so each phase has its own row. */
function phaseNames(plan: OutagePlan): string[] {
  return plan.phases.map((p, i) =>
    plan.phases.filter((q) => q.name === p.name).length > 1 ? `${i + 1}:${p.name}` : p.name,
  );
}

/**
 * One outage run: open-loop traffic through the gateway while the mock plays the scenario; every answer
 * judged with the same checks and profile as `faultline run`, figures per phase, and recovery (REC-001).
 * Running returns data; the console, outage.json and outage.html only format it.
 */
export async function runOutage(o: OutageOptions): Promise<OutageResult> {
  const say = o.say ?? (() => {});
  const { plan, profile, target } = o;
  const mock = { url: target.mock, token: o.mockToken };
  const runId = newRunId();
  const names = phaseNames(plan);
  faker.seed(o.seed);
  const template = chatRequest(profile, target, {
    text: `${faker.lorem.sentence({ min: 4, max: 10 })} ${MARKER_SLOT}`,
  });
  const checks = outageChecks();
  const jctx: JudgeContext = {
    profile,
    target,
    providers: o.providers,
    template,
    state: { requestIds: new Map(), models: [] },
    checks,
    // Set once the scenario has started (t0): which providers it had answering `ok` at a moment.
    upAt: (at) => plan.phases[phaseAt(plan, at - t0)]!.up,
  };
  const head: OutageHeader = {
    tool: "faultline",
    kind: "outage",
    scenario: {
      name: plan.name,
      description: plan.description,
      seed: plan.seed,
      notes: plan.notes,
      phases: plan.phases.map((p, i) => ({
        name: names[i]!,
        startS: p.startMs / 1000,
        endS: p.endMs / 1000,
        healthy: p.healthy,
      })),
    },
    profile: profile.name,
    gateway: target.gateway,
    mock: target.mock,
    model: target.model,
    rate: o.rate,
    seed: o.seed,
    runId,
    startedAt: new Date().toISOString(),
  };
  const feed = new JournalFeed(target.mock, runId, o.mockToken);
  // When the stop came: what follows (settling, the last poll, judging) is not traffic.
  let stoppedAt: number | undefined;
  o.signal?.addEventListener("abort", () => (stoppedAt ??= Date.now()), { once: true });
  const pre = await preflight(
    mock,
    { gateway: target.gateway, model: target.model, providers: o.providers, deadlineMs: o.harnessDeadlineMs },
    `${runId}.0`,
    template,
    feed,
    o.signal,
  );
  if (o.signal?.aborted) return interruptedResult(head, o.signal, 0);
  if (pre.problems.length) return setupResult(head, pre.problems);

  const findings = new Findings(names, checks, profile, o.seed);
  const watch = new RecoveryWatch(profile, o.harnessDeadlineMs);
  const pending: Array<{ sample: Sample; doneAt: number }> = [];
  let t0 = 0;
  let lastSentMs = 0;

  const judgeReady = async (upTo: number) => {
    for (;;) {
      let k = 0;
      for (; k < JUDGE_SLICE && k < pending.length && pending[k]!.doneAt <= upTo; k++) {
        const { sample } = pending[k]!;
        const journal = feed.take(sample.id);
        // A request belongs to the phase it met at the mock (its first attempt), so a gateway that holds
        // requests back does not move them across phases; one answered without an attempt, to its sending.
        const at = (journal[0]?.receivedAt ?? sample.sentAt) - t0;
        const phase = phaseAt(plan, at);
        const v = judgeSample(sample, journal, names[phase]!, jctx);
        findings.add(phase, at, v, journal);
        // A 2xx whose last attempt answered it: that provider served it.
        const ok = sample.status !== undefined && sample.status >= 200 && sample.status < 300;
        if (ok && (v.condition === "upstream.ok" || v.condition === "upstream.failover"))
          watch.servedBy(sample.sentAt, journal.at(-1)!.provider);
      }
      pending.splice(0, k);
      if (k < JUDGE_SLICE) return;
      await new Promise((r) => setImmediate(r));
    }
  };

  let polling = true;
  let pollError: Error | undefined;
  const poller = (async () => {
    while (polling) {
      await new Promise((r) => setTimeout(r, POLL_EVERY_MS));
      try {
        // A request answered by the time the journal has been read up to is judged with all its attempts.
        await judgeReady(await feed.poll());
      } catch (e) {
        pollError = e as Error;
      }
    }
  })();

  const timers: NodeJS.Timeout[] = [];
  let stats: DriveStats;
  try {
    stats = await o.engine.drive({
      gateway: target.gateway,
      template,
      runId,
      rate: o.rate,
      durationMs: plan.totalMs,
      // Long enough after the recovery to tell a gateway that never recovers (REC-001).
      maxExtensionMs:
        Math.max(0, (profile.recoveryS + CONFIRM_S) * 1000 - (plan.totalMs - plan.recoveryStartMs)) +
        o.harnessDeadlineMs,
      keepGoing: () => watch.undecided(),
      deadlineMs: o.harnessDeadlineMs,
      signal: o.signal,
      async begin() {
        t0 = await startScenario(mock, plan);
        watch.start(t0 + plan.recoveryStartMs, pre.usual);
        plan.phases.forEach((p, i) => {
          const healthy = p.healthy ? ", providers healthy" : "";
          const t = setTimeout(
            () =>
              say(`faultline outage: phase ${names[i]} (${p.startMs / 1000}–${p.endMs / 1000} s${healthy})`),
            p.startMs,
          );
          t.unref();
          timers.push(t);
        });
        return t0;
      },
      onSend: (at) => watch.sent(at),
      onSample(s) {
        lastSentMs = Math.max(lastSentMs, s.sentAt - t0);
        watch.answered(s.sentAt, s.status);
        pending.push({ sample: s, doneAt: Date.now() });
      },
      say,
    });
  } finally {
    for (const t of timers) clearTimeout(t);
    await stopScenario(mock).catch(() => undefined);
  }
  // Every answer is in: read the journal to its end and judge the rest.
  polling = false;
  await poller;
  await new Promise((r) => setTimeout(r, JOURNAL_SETTLE_MS));
  await feed.poll(0).catch((e: Error) => {
    pollError = e;
  });
  pending.sort((a, b) => a.doneAt - b.doneAt);
  await judgeReady(Number.POSITIVE_INFINITY);
  if (pollError)
    say(
      `faultline outage: a journal poll failed (${pollError.message}); unless a later one succeeded, the last requests' attempts may be missing`,
    );

  const recovery = watch.verdict();
  // An interrupted run has played the phases begun before the stop, the last of them cut short there.
  const stoppedMs = o.signal?.aborted ? (t0 ? Math.max(0, (stoppedAt ?? Date.now()) - t0) : 0) : undefined;
  if (stoppedMs !== undefined && !t0) return interruptedResult(head, o.signal!, 0, stats);
  // The last phase lasts until the last request went out (the run may have been extended for recovery).
  const windows = plan.phases
    .map((p, i) => (i === plan.phases.length - 1 ? { ...p, endMs: Math.max(p.endMs, lastSentMs) } : p))
    .filter((p) => stoppedMs === undefined || p.startMs < stoppedMs)
    .map((p) => (stoppedMs !== undefined ? { ...p, endMs: Math.min(p.endMs, stoppedMs) } : p));
  const phases = findings.phases(windows, !!o.strict);
  // Recovery is judged on the healthy tail as a whole: its verdict belongs to the run's last phase; an
  // interrupted run's recovery is only judged when it was decided before the stop.
  if (!recovery.pass && (!recovery.undecided || (o.strict && stoppedMs === undefined))) {
    const tail = phases.at(-1)!;
    tail.failed.push({ id: REC_001.id, level: REC_001.level, count: 1 });
    tail.passed = false;
  }
  const result: OutageResult = {
    ...head,
    engine: stats,
    durationS: (stoppedMs ?? Math.max(plan.totalMs, lastSentMs)) / 1000,
    recovery: { ...recovery, startS: plan.recoveryStartMs / 1000, budgetS: profile.recoveryS },
    phases,
    timeline: findings.timeline(),
    checks: findings.checkResults(recovery),
    violations: findings.violations,
    journal: { polls: feed.polls, dropped: feed.dropped },
    ...(stoppedMs !== undefined ? { interrupted: interruption(o.signal!, stoppedMs) } : {}),
    verdict: { exitCode: 0, summary: "" },
  };
  result.verdict = outageVerdict(result, !!o.strict);
  return result;
}

const interruption = (signal: AbortSignal, ms: number) => ({
  signal: typeof signal.reason === "string" ? signal.reason : "an abort",
  afterS: Math.round(ms / 100) / 10,
});

/** The result of a run interrupted before its scenario started: nothing played, nothing judged. */
function interruptedResult(
  head: OutageHeader,
  signal: AbortSignal,
  ms: number,
  engine?: DriveStats,
): OutageResult {
  const r = setupResult(head, []);
  r.setup = undefined;
  if (engine) r.engine = engine;
  r.interrupted = interruption(signal, ms);
  r.verdict = outageVerdict(r, false);
  return r;
}
