import type { Level } from "../../core/profile/schema.ts";
import { REC_001, type RecoveryVerdict } from "../checks/recovery.ts";
import type { SetupProblem, ViolationRecord } from "../harness/result.ts";
import type { DriveStats } from "./engine.ts";
import type { Figures, TimelinePoint } from "./metrics.ts";

/**
 * The data an outage run produces (outage.json). The run writes it; the console, outage.json and
 * outage.html only read it.
 */

/** A violation kept as an example: `faultline run`'s record of one, with its level and the phase it happened in. */
export type OutageViolation = ViolationRecord & { level: Level; phase: string };

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
  /** The run was stopped by a signal: what it holds is the traffic up to then (`phases` are those played). */
  interrupted?: { signal: string; afterS: number };
  verdict: { exitCode: OutageExit; summary: string };
}

/** `run`'s exit codes, and a shell's for a run ended by SIGINT (130) or SIGTERM (143). */
export type OutageExit = 0 | 1 | 2 | 130 | 143;

/** What a run knows before any traffic: who, what, how fast. */
export type OutageHeader = Pick<
  OutageResult,
  | "tool"
  | "kind"
  | "scenario"
  | "profile"
  | "gateway"
  | "mock"
  | "model"
  | "rate"
  | "seed"
  | "runId"
  | "startedAt"
>;

/**
 * Exit codes as `faultline run`'s: 0 every must check held (with --strict, every should too, and recovery
 * decided); 1 a check failed; 2 nothing was judged (a setup problem).
 */
export function outageVerdict(r: OutageResult, strict: boolean): OutageResult["verdict"] {
  const v = judgedVerdict(r, strict);
  if (!r.interrupted) return v;
  const { signal, afterS } = r.interrupted;
  return {
    exitCode: signal === "SIGTERM" ? 143 : 130,
    summary: `INTERRUPTED by ${signal} after ${afterS} s of ${r.scenario.phases.at(-1)?.endS ?? 0} s (partial: ${r.phases.length} of ${r.scenario.phases.length} phases played) — so far ${v.summary}`,
  };
}

function judgedVerdict(r: OutageResult, strict: boolean): OutageResult["verdict"] {
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
  const undecided = r.checks.find((c) => c.id === REC_001.id)?.outcome === "inconclusive";
  const bad = must.length > 0 || (strict && (should.length > 0 || undecided));
  const phasesFailed = r.phases.filter((p) => !p.passed).map((p) => p.name);
  const recovery =
    r.recovery.recoveredAfterS !== undefined
      ? `${r.recovery.recoveredAfterS} s (budget ${r.recovery.budgetS} s)`
      : r.recovery.received;
  const summary = `${bad ? "FAILED" : "PASSED"}: ${r.phases.length - phasesFailed.length} of ${r.phases.length} phases passed${
    phasesFailed.length ? ` (failed: ${phasesFailed.join(", ")})` : ""
  }; must failures: ${must.join(", ") || "none"}; should failures: ${should.join(", ") || "none"}${strict ? " (strict)" : ""}; recovery: ${recovery}`;
  return { exitCode: bad ? 1 : 0, summary };
}

/** The result of a run that stopped at its preflight: no phase was played. */
export function setupResult(head: OutageHeader, setup: SetupProblem[]): OutageResult {
  const r: OutageResult = {
    ...head,
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
