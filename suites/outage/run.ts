import { faker } from "@faker-js/faker";
import {
  CONFIRM_S,
  judgeRecovery,
  REC_001,
  type RecoveryBin,
  type RecoveryVerdict,
} from "../checks/recovery.ts";
import { chatRequest } from "../harness/requests.ts";
import type { SetupProblem } from "../harness/result.ts";
import type { CaseSpec, Exchange } from "../harness/types.ts";
import type { Level, Profile } from "../profile/schema.ts";
import type { Target } from "../target.ts";
import { outageAgent, sendSample } from "./driver.ts";
import type { DriveStats, LoadEngine } from "./engine.ts";
import { JournalFeed } from "./journal.ts";
import { type JudgeContext, judgeSample, outageChecks } from "./judging.ts";
import { type Figures, type Judged, Tally, type TimelinePoint } from "./metrics.ts";
import { type OutagePlan, phaseAt } from "./phases.ts";
import { MARKER_SLOT, newRunId, requestFor, type Sample } from "./sample.ts";

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
}

/** A violation kept as an example, with what a case file needs to replay it. */
export interface OutageViolation {
  checkId: string;
  level: Level;
  phase: string;
  expected: string;
  received: string;
  case: CaseSpec;
  exchange: Pick<Exchange, "url" | "status" | "headers" | "raw" | "elapsedMs" | "error" | "timedOut">;
  journal: Array<{ provider: string; attempt: number; step: string; status?: number; receivedAt: number }>;
  /** Set when the report is written. */
  caseFile?: string;
}

export interface PhaseResult extends Figures {
  name: string;
  startS: number;
  endS: number;
  healthy: boolean;
  /** Conditions the phase's requests created (what the mock did to them) → count. */
  conditions: Record<string, number>;
  /** Failing check ids of this phase, with their level. */
  failed: Array<{ id: string; level: Level; count: number }>;
  passed: boolean;
}

export interface OutageCheckResult {
  id: string;
  level: Level;
  title: string;
  sentence: string;
  source: string;
  fix: string;
  outcome: "pass" | "fail" | "not_exercised" | "inconclusive";
  evaluated: number;
  failures: number;
  /** Failures per phase name. */
  byPhase: Record<string, number>;
  reason?: string;
}

export interface OutageResult {
  tool: "faultline";
  kind: "outage";
  scenario: {
    name: string;
    description: string;
    seed: number;
    notes: string[];
    phases: Array<{ name: string; startS: number; endS: number; healthy: boolean }>;
  };
  profile: string;
  gateway: string;
  mock: string;
  model: string;
  engine: DriveStats;
  rate: number;
  seed: number;
  runId: string;
  startedAt: string;
  /** Seconds of traffic, from the scenario's start to the last request sent. */
  durationS: number;
  recovery: RecoveryVerdict & { startS: number; budgetS: number };
  phases: PhaseResult[];
  timeline: TimelinePoint[];
  checks: OutageCheckResult[];
  violations: OutageViolation[];
  /** Journal polls made, and entries the mock dropped meanwhile (attempts may then be undercounted). */
  journal: { polls: number; dropped: number };
  setup?: SetupProblem[];
  verdict: { exitCode: 0 | 1 | 2; summary: string };
}

/** Examples kept per check and phase (every failure is counted; these get case files). */
const EXAMPLES_PER_PHASE = 3;
/** After the last answer, before the journal is read to its end: the mock records an attempt's end just after it. */
const JOURNAL_SETTLE_MS = 250;
const POLL_EVERY_MS = 500;
const JUDGE_SLICE = 200;

interface Pending {
  sample: Sample;
  doneAt: number;
}

function phaseLabel(plan: OutagePlan, i: number): string {
  // Looping scenarios repeat names: number them so each phase has its own row.
  const name = plan.phases[i]!.name;
  return plan.phases.filter((p) => p.name === name).length > 1 ? `${i + 1}:${name}` : name;
}

/**
 * One outage run: open-loop traffic through the gateway while the mock plays the scenario; every answer
 * judged with the same checks and profile as `faultline run`, figures per phase, and recovery (REC-001).
 * Running returns data; the console, outage.json and outage.html only format it.
 */
export async function runOutage(o: OutageOptions): Promise<OutageResult> {
  const say = o.say ?? (() => {});
  const { plan, profile, target } = o;
  const runId = newRunId();
  faker.seed(o.seed);
  const text = `${faker.lorem.sentence({ min: 4, max: 10 })} ${MARKER_SLOT}`;
  const template = chatRequest(profile, target, { text });
  const checks = outageChecks();
  const jctx: JudgeContext = {
    profile,
    target,
    providers: o.providers,
    template,
    state: { requestIds: new Map(), models: [] },
    checks,
  };
  const feed = new JournalFeed(target.mock, runId, o.mockToken);
  const base = {
    tool: "faultline" as const,
    kind: "outage" as const,
    scenario: {
      name: plan.name,
      description: plan.description,
      seed: plan.seed,
      notes: plan.notes,
      phases: plan.phases.map((p, i) => ({
        name: phaseLabel(plan, i),
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

  const setup = await preflight(o, runId, template, feed);
  if (setup.length) return setupResult(base, setup, o.rate);

  const tally = new Tally(plan.phases.length);
  const pending: Pending[] = [];
  const violations: OutageViolation[] = [];
  const examples = new Map<string, number>();
  const evaluated = new Map<string, number>();
  const failures = new Map<string, Map<string, number>>();
  const conditions = plan.phases.map(() => new Map<string, number>());
  const recoveryStartS = plan.recoveryStartMs / 1000;
  const live: Array<{ sent: number; done: number; ok: number }> = [];
  let t0 = 0;
  let lastSentMs = 0;

  function judgeOne({ sample }: Pending): void {
    const atMs = sample.sentAt - t0;
    const phase = phaseAt(plan, atMs);
    const label = phaseLabel(plan, phase);
    const journal = feed.take(sample.id);
    const v = judgeSample(sample, journal, label, jctx);
    for (const id of v.evaluated) evaluated.set(id, (evaluated.get(id) ?? 0) + 1);
    conditions[phase]!.set(v.condition, (conditions[phase]!.get(v.condition) ?? 0) + 1);
    for (const f of v.failing) {
      const per = failures.get(f.checkId) ?? new Map<string, number>();
      per.set(label, (per.get(label) ?? 0) + 1);
      failures.set(f.checkId, per);
      const key = `${label}\u0000${f.checkId}`;
      const n = examples.get(key) ?? 0;
      if (n < EXAMPLES_PER_PHASE) {
        examples.set(key, n + 1);
        violations.push({
          checkId: f.checkId,
          level: f.level,
          phase: label,
          expected: f.expected,
          received: f.received,
          case: v.case,
          exchange: {
            url: v.exchange.url,
            status: v.exchange.status,
            headers: v.exchange.headers,
            raw: v.exchange.raw,
            elapsedMs: v.exchange.elapsedMs,
            error: v.exchange.error,
            timedOut: v.exchange.timedOut,
          },
          journal: journal.map((e) => ({
            provider: e.provider,
            attempt: e.attempt,
            step: e.step.step,
            status: e.status,
            receivedAt: e.receivedAt,
          })),
        });
      }
    }
    const first = journal[0]?.receivedAt;
    const judged: Judged = {
      atMs,
      status: sample.status,
      elapsedMs: sample.elapsedMs,
      attempts: journal.length,
      addedWaitMs: first === undefined ? 0 : journal.at(-1)!.receivedAt - first,
      violations: v.failing.map((f) => f.checkId),
    };
    tally.add(phase, judged);
  }

  // Judged in slices, yielding between them, so the load engine's timers keep their schedule.
  const judgeReady = async (before: number) => {
    for (;;) {
      let k = 0;
      while (k < JUDGE_SLICE && k < pending.length && pending[k]!.doneAt <= before) judgeOne(pending[k++]!);
      pending.splice(0, k);
      if (k < JUDGE_SLICE) return;
      await new Promise((r) => setImmediate(r));
    }
  };

  // Recovery is watched live (answers only, no journal needed) so the run stops as soon as it is decided.
  // Its seconds start when the providers recover; requests are placed by the time they were sent.
  const recBin = (at: number) => {
    const ms = at - t0 - plan.recoveryStartMs;
    if (ms < 0) return undefined;
    const sec = Math.floor(ms / 1000);
    while (live.length <= sec) live.push({ sent: 0, done: 0, ok: 0 });
    return live[sec]!;
  };
  const liveBins = (): RecoveryBin[] => {
    const out: RecoveryBin[] = [];
    const now = Date.now();
    for (const [sec, b] of live.entries()) {
      // A second is complete when every request sent in it has its answer (or the harness gave up on it).
      const over = t0 + plan.recoveryStartMs + (sec + 1) * 1000 + o.harnessDeadlineMs < now;
      if ((b.sent === 0 || b.done < b.sent) && !over) break;
      out.push({ t: sec, answered: b.done, ok: b.ok });
    }
    return out;
  };
  const keepGoing = () => {
    const v = judgeRecovery(liveBins(), profile);
    return v.recoveredAfterS === undefined && v.undecided;
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

  const phaseTimers: NodeJS.Timeout[] = [];
  let stats: DriveStats;
  try {
    stats = await o.engine.drive({
      gateway: target.gateway,
      template,
      runId,
      rate: o.rate,
      durationMs: plan.totalMs,
      maxExtensionMs:
        Math.max(0, (profile.recoveryS + CONFIRM_S) * 1000 - (plan.totalMs - plan.recoveryStartMs)) +
        o.harnessDeadlineMs,
      keepGoing,
      deadlineMs: o.harnessDeadlineMs,
      begin: async () => {
        t0 = await startScenario(o);
        plan.phases.forEach((p, i) => {
          const t = setTimeout(
            () =>
              say(
                `faultline outage: phase ${phaseLabel(plan, i)} (${p.startMs / 1000}–${p.endMs / 1000} s${p.healthy ? ", providers healthy" : ""})`,
              ),
            p.startMs,
          );
          t.unref();
          phaseTimers.push(t);
        });
        return t0;
      },
      onSend(sentAt) {
        const b = recBin(sentAt);
        if (b) b.sent++;
      },
      onSample(s) {
        lastSentMs = Math.max(lastSentMs, s.sentAt - t0);
        const b = recBin(s.sentAt);
        if (b) {
          b.done++;
          if (s.status !== undefined && s.status >= 200 && s.status < 300) b.ok++;
        }
        pending.push({ sample: s, doneAt: Date.now() });
      },
      say,
    });
  } finally {
    for (const t of phaseTimers) clearTimeout(t);
    await stopScenario(o).catch(() => undefined);
  }
  // Every answer is in: read the journal once more and judge the rest.
  polling = false;
  await poller;
  await new Promise((r) => setTimeout(r, JOURNAL_SETTLE_MS));
  await feed.poll(0);
  pending.sort((a, b) => a.doneAt - b.doneAt);
  await judgeReady(Number.POSITIVE_INFINITY);
  if (pollError)
    say(
      `faultline outage: a journal poll failed during the run (${pollError.message}); later polls caught up`,
    );

  // The last second is cut short by the end of traffic: judged only if it saw answers.
  const bins: RecoveryBin[] = live
    .map((b, t) => ({ t, answered: b.done, ok: b.ok }))
    .filter((b, i, all) => i < all.length - 1 || b.answered > 0);
  const recovery = judgeRecovery(bins, profile);
  const endS = Math.max(plan.totalMs, lastSentMs) / 1000;
  const phases: PhaseResult[] = plan.phases.map((p, i) => {
    const last = i === plan.phases.length - 1;
    const seconds = ((last ? Math.max(p.endMs, lastSentMs) : p.endMs) - p.startMs) / 1000;
    const f = tally.phaseFigures(i, seconds);
    const failed = Object.entries(f.violations).map(([id, count]) => ({
      id,
      level: levelFor(checks, id, profile),
      count,
    }));
    return {
      name: phaseLabel(plan, i),
      startS: p.startMs / 1000,
      endS: (last ? Math.max(p.endMs, lastSentMs) : p.endMs) / 1000,
      healthy: p.healthy,
      ...f,
      conditions: Object.fromEntries([...conditions[i]!].sort()),
      failed,
      passed: !failed.some((x) => x.level === "must" || (o.strict && x.level === "should")),
    };
  });
  // Recovery is judged on the healthy tail as a whole: its verdict belongs to the run's last phase.
  const tail = phases.at(-1)!;
  if (!recovery.pass && (!recovery.undecided || o.strict)) {
    tail.failed.push({ id: REC_001.id, level: REC_001.level, count: 1 });
    tail.passed = false;
  }
  const checkResults = [
    ...checks.map((c): OutageCheckResult => {
      const per = failures.get(c.id);
      const n = [...(per?.values() ?? [])].reduce((a, b) => a + b, 0);
      const ev = evaluated.get(c.id) ?? 0;
      return {
        id: c.id,
        level: levelFor(checks, c.id, profile),
        title: c.title,
        sentence: c.sentence,
        source: c.source,
        fix: c.fix,
        outcome: n ? "fail" : ev ? "pass" : "not_exercised",
        evaluated: ev,
        failures: n,
        byPhase: Object.fromEntries(per ?? []),
        ...(ev ? {} : { reason: "no request of the run created its condition" }),
      };
    }),
    {
      ...REC_001,
      outcome: recovery.pass ? "pass" : recovery.undecided ? "inconclusive" : "fail",
      evaluated: 1,
      failures: recovery.pass || recovery.undecided ? 0 : 1,
      byPhase: {},
      ...(recovery.pass ? {} : { reason: `${recovery.expected}; ${recovery.received}` }),
    } satisfies OutageCheckResult,
  ];
  const result: OutageResult = {
    ...base,
    engine: stats,
    durationS: endS,
    recovery: { ...recovery, startS: recoveryStartS, budgetS: profile.recoveryS },
    phases,
    timeline: tally.timeline(),
    checks: checkResults,
    violations,
    journal: { polls: feed.polls, dropped: feed.dropped },
    verdict: { exitCode: 0, summary: "" },
  };
  result.verdict = outageVerdict(result, !!o.strict);
  return result;
}

function levelFor(checks: ReturnType<typeof outageChecks>, id: string, p: Profile): Level {
  const c = checks.find((k) => k.id === id);
  if (!c) return "must";
  return typeof c.level === "function" ? c.level(p) : c.level;
}

/** Exit codes as `faultline run`'s: 0 every must check held (with --strict, every should too); 1 a check failed; 2 nothing judged. */
export function outageVerdict(r: OutageResult, strict: boolean): OutageResult["verdict"] {
  if (r.setup?.length)
    return {
      exitCode: 2,
      summary: `SETUP ERROR: ${r.setup.map((s) => `${s.message} — ${s.fix}`).join("; ")}`,
    };
  const sent = r.phases.reduce((a, p) => a + p.sent, 0);
  if (sent === 0)
    return { exitCode: 2, summary: "NOTHING JUDGED: no request of the run was answered or judged" };
  const failed = r.checks.filter((c) => c.outcome === "fail");
  const must = failed.filter((c) => c.level === "must").map((c) => c.id);
  const should = failed.filter((c) => c.level === "should").map((c) => c.id);
  const rec = r.checks.find((c) => c.id === REC_001.id);
  const undecided = rec?.outcome === "inconclusive";
  const bad = must.length > 0 || (strict && (should.length > 0 || undecided));
  const phasesFailed = r.phases.filter((p) => !p.passed).map((p) => p.name);
  const summary = `${bad ? "FAILED" : "PASSED"}: ${r.phases.length - phasesFailed.length} of ${r.phases.length} phases passed${
    phasesFailed.length ? ` (failed: ${phasesFailed.join(", ")})` : ""
  }; must failures: ${must.join(", ") || "none"}; should failures: ${should.join(", ") || "none"}${strict ? " (strict)" : ""}; recovery: ${
    r.recovery.recoveredAfterS !== undefined
      ? `${r.recovery.recoveredAfterS} s (budget ${r.recovery.budgetS} s)`
      : r.recovery.received
  }`;
  return { exitCode: bad ? 1 : 0, summary };
}

async function startScenario(o: OutageOptions): Promise<number> {
  const before = Date.now();
  const res = await fetch(`${o.target.mock}/_faultline/scenario?seed=${o.plan.seed}`, {
    method: "PUT",
    headers: {
      "content-type": "application/json",
      ...(o.mockToken ? { authorization: `Bearer ${o.mockToken}` } : {}),
    },
    body: JSON.stringify(o.plan.document),
    signal: AbortSignal.timeout(10_000),
  });
  const after = Date.now();
  if (!res.ok)
    throw new Error(`the mock refused the scenario (${res.status}): ${(await res.text()).slice(0, 500)}`);
  await res.arrayBuffer().catch(() => undefined);
  // The mock started the scenario somewhere between the request and the answer.
  return Math.round((before + after) / 2);
}

async function stopScenario(o: OutageOptions): Promise<void> {
  const res = await fetch(`${o.target.mock}/_faultline/scenario`, {
    method: "DELETE",
    headers: o.mockToken ? { authorization: `Bearer ${o.mockToken}` } : {},
    signal: AbortSignal.timeout(5_000),
  });
  await res.arrayBuffer();
}

/**
 * One clean request before the scenario: a gateway that cannot serve it, or whose requests never reach
 * the mock, is a setup problem (exit 2), not an outage finding.
 */
async function preflight(
  o: OutageOptions,
  runId: string,
  template: ReturnType<typeof chatRequest>,
  feed: JournalFeed,
): Promise<SetupProblem[]> {
  const agent = outageAgent();
  const id = `${runId}.0`;
  try {
    await stopScenario(o).catch(() => undefined);
    const s = await sendSample(agent, o.target.gateway, id, requestFor(template, id), o.harnessDeadlineMs);
    await new Promise((r) => setTimeout(r, JOURNAL_SETTLE_MS));
    await feed.poll(0);
    const journal = feed.take(id);
    if (s.status === undefined)
      return [
        {
          id: "setup.gateway",
          message: `the gateway ${o.target.gateway} did not answer a clean request (${s.error?.code}: ${s.error?.message})`,
          fix: "start the gateway, or check --gateway",
        },
      ];
    if (s.status < 200 || s.status >= 300)
      return [
        {
          id: "setup.clean_request",
          message: `the gateway answered a clean request with ${s.status} ${s.raw.slice(0, 200)}`,
          fix: "make `faultline run` pass its preflight against this gateway first (path, key, model)",
        },
      ];
    if (journal.length === 0)
      return [
        {
          id: "setup.unrouted",
          message: `the gateway answered 2xx but the mock ${o.target.mock} never saw the request`,
          fix: `route model ${o.target.model} to the mock's providers (${o.providers.join(", ")}) in that order`,
        },
      ];
    return [];
  } finally {
    await agent.close();
  }
}

function setupResult(
  base: Omit<
    OutageResult,
    | "engine"
    | "durationS"
    | "recovery"
    | "phases"
    | "timeline"
    | "checks"
    | "violations"
    | "journal"
    | "verdict"
  >,
  setup: SetupProblem[],
  rate: number,
): OutageResult {
  const r: OutageResult = {
    ...base,
    rate,
    engine: { engine: "none", sent: 0, heldBack: 0, maxLagMs: 0, notes: [] },
    durationS: 0,
    recovery: {
      observedS: 0,
      pass: false,
      undecided: true,
      expected: "",
      received: "not run",
      startS: 0,
      budgetS: 0,
    },
    phases: [],
    timeline: [],
    checks: [],
    violations: [],
    journal: { polls: 0, dropped: 0 },
    setup,
    verdict: { exitCode: 2, summary: "" },
  };
  r.verdict = outageVerdict(r, false);
  return r;
}
