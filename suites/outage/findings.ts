import type { Level, Profile } from "../../core/profile/schema.ts";
import type { JournalEntry } from "../../mocks/journal.ts";
import { REC_001, type RecoveryVerdict } from "../checks/recovery.ts";
import type { Check } from "../checks/registry.ts";
import { recordViolation } from "../harness/case-run.ts";
import type { SampleVerdict } from "./judging.ts";
import { Tally } from "./metrics.ts";
import type { OutageCheckResult, OutageViolation, PhaseResult } from "./result.ts";

/** Examples kept per check and phase (every failure is counted; these get case files). */
const EXAMPLES_PER_PHASE = 3;

const bump = <K>(m: Map<K, number>, k: K) => m.set(k, (m.get(k) ?? 0) + 1);

/** What the run's judged requests add up to: per phase, per check, per second, and the examples. */
export class Findings {
  private readonly tally: Tally;
  private readonly evaluated = new Map<string, number>();
  /** check id → phase → failures. */
  private readonly failures = new Map<string, Map<string, number>>();
  private readonly conditions: Array<Map<string, number>>;
  private readonly examples = new Map<string, number>();
  readonly violations: OutageViolation[] = [];

  constructor(
    private readonly phaseNames: string[],
    private readonly checks: Check[],
    private readonly profile: Profile,
    /** The run's seed, kept with every violation. */
    private readonly seed: number,
  ) {
    this.tally = new Tally(phaseNames.length);
    this.conditions = phaseNames.map(() => new Map());
  }

  levelOf(id: string): Level {
    const c = this.checks.find((k) => k.id === id);
    if (!c) return "must";
    return typeof c.level === "function" ? c.level(this.profile) : c.level;
  }

  /** One judged request, sent `atMs` after the scenario started, in phase `phase`. */
  add(phase: number, atMs: number, v: SampleVerdict, journal: JournalEntry[]): void {
    const label = this.phaseNames[phase]!;
    for (const id of v.evaluated) bump(this.evaluated, id);
    bump(this.conditions[phase]!, v.condition);
    for (const f of v.failing) {
      const per = this.failures.get(f.checkId) ?? new Map<string, number>();
      this.failures.set(f.checkId, bump(per, label));
      const key = `${label}\u0000${f.checkId}`;
      if ((this.examples.get(key) ?? 0) >= EXAMPLES_PER_PHASE) continue;
      bump(this.examples, key);
      // `faultline run`'s record of a violation, with the phase it happened in; the run's seed replays the
      // scenario, the case file's plan the request.
      const execution = { exchange: v.exchange, evaluated: v.evaluated, verdicts: [] };
      this.violations.push({
        ...recordViolation(f, v.case, execution, this.seed, undefined, false),
        level: f.level,
        phase: label,
      });
    }
    const first = journal[0]?.receivedAt;
    this.tally.add(phase, {
      atMs,
      status: v.exchange.status,
      elapsedMs: v.exchange.elapsedMs,
      attempts: journal.length,
      addedWaitMs: first === undefined ? 0 : journal.at(-1)!.receivedAt - first,
      violations: v.failing.map((f) => f.checkId),
    });
  }

  timeline() {
    return this.tally.timeline();
  }

  /** Per phase: figures, conditions, failing checks; a phase passes when no must check failed in it. */
  phases(
    windows: Array<{ startMs: number; endMs: number; healthy: boolean }>,
    strict: boolean,
  ): PhaseResult[] {
    return windows.map((w, i) => {
      const f = this.tally.phaseFigures(i, (w.endMs - w.startMs) / 1000);
      const failed = Object.entries(f.violations).map(([id, count]) => ({
        id,
        level: this.levelOf(id),
        count,
      }));
      return {
        name: this.phaseNames[i]!,
        startS: w.startMs / 1000,
        endS: w.endMs / 1000,
        healthy: w.healthy,
        ...f,
        conditions: Object.fromEntries([...this.conditions[i]!].sort()),
        failed,
        passed: !failed.some((x) => x.level === "must" || (strict && x.level === "should")),
      };
    });
  }

  /** Every check's outcome over the run, REC-001's from the recovery verdict. */
  checkResults(recovery: RecoveryVerdict): OutageCheckResult[] {
    return [
      ...this.checks.map((c): OutageCheckResult => {
        const per = this.failures.get(c.id);
        const n = [...(per?.values() ?? [])].reduce((a, b) => a + b, 0);
        const ev = this.evaluated.get(c.id) ?? 0;
        return {
          id: c.id,
          level: this.levelOf(c.id),
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
      },
    ];
  }
}
