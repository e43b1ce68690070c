import type { Level } from "../../core/profile/schema.ts";
import type { CoverageMatrix } from "./coverage-matrix.ts";
import type { CaseSpec, Exchange } from "./types.ts";

/**
 * The data a run produces. The runner writes it; formatters (console, report.json, junit, summary.md)
 * only read it. Only `pass` counts as passed: a check that judged nothing did not pass.
 */

export interface ViolationRecord {
  checkId: string;
  property: string;
  expected: string;
  received: string;
  case: CaseSpec;
  exchange: Pick<Exchange, "url" | "status" | "headers" | "raw" | "elapsedMs" | "error" | "timedOut">;
  journal: Array<{ provider: string; attempt: number; step: string; status?: number; receivedAt: number }>;
  /** fast-check seed and path: `fc.check(…, {seed, path})` replays the exact case. */
  seed: number;
  path?: string;
  shrunk: boolean;
  /** Where the case file was written, once the report is written. */
  caseFile?: string;
  /** The command that replays the case file, once the report is written. */
  replay?: string;
}

/**
 * - `passed`: every requested case ran and held;
 * - `failed`: a case broke a check of the property;
 * - `incomplete`: stopped (time budget, gateway down, interrupted) after `executed` of `requested` cases;
 * - `skipped`: never started, with the reason (no mock, no fixture, nothing selected);
 * - `error`: the harness itself failed (a bug or an unusable setup), with the message.
 */
export type PropertyStatus = "passed" | "failed" | "incomplete" | "skipped" | "error";

export interface PropertyOutcome {
  id: string;
  suite: string;
  title: string;
  seed: number;
  /** Cases asked for: the coverage phase's and the random phase's (`--runs` or the property's own count). */
  requested: number;
  /** Of those, the coverage phase's deterministic cases (harness/coverage.ts). */
  coverageCases?: number;
  /** Cases that actually ran against the gateway (generation, not shrinking). */
  executed: number;
  /** Cases that could not be judged (the gateway answered from its own state, or it was down). */
  inconclusive: number;
  /** Cases retried after --settle-ms because the gateway skipped the provider they target. */
  settled?: number;
  status: PropertyStatus;
  reason?: string;
  durationMs: number;
}

/**
 * - `pass`: judged at least one exchange of its condition, and every one held;
 * - `fail`: at least one judged exchange broke it;
 * - `not_exercised`: nothing of its condition happened; `reason` says why, derived from what happened;
 * - `not_declared`: the profile has no such feature (no request id, no idempotency …);
 * - `inconclusive`: its cases happened but could not be judged (breaker state, gateway down);
 * - `not_selected`: left out by --only / --skip.
 */
export type CheckOutcome =
  | "pass"
  | "fail"
  | "not_exercised"
  | "not_declared"
  | "inconclusive"
  | "not_selected";

export interface CheckResult {
  id: string;
  level: Level;
  title: string;
  sentence: string;
  source: string;
  fix: string;
  outcome: CheckOutcome;
  /** Exchanges the check judged. */
  evaluated: number;
  /** Exchanges of its condition that could not be judged. */
  inconclusive: number;
  violations: ViolationRecord[];
  reason?: string;
}

/** A run that could not exercise the gateway: exit 2, no PASS/FAIL report, the fix named. */
export interface SetupProblem {
  /** Stable id of the diagnosis, e.g. `setup.path`, `setup.model_refused`, `setup.unrouted`. */
  id: string;
  message: string;
  /** The one thing to change, as a command or flag where there is one. */
  fix: string;
}

/** What preflight saw before any property ran (recorded in report.json). */
export interface PreflightSummary {
  /** Per endpoint family: the clean request's path, its status, and the mock providers it reached. */
  families: Array<{ family: string; path: string; status?: number; providers: string[] }>;
  /** The order the gateway tried the mock's providers in when the earlier ones failed. */
  order?: string[];
  notes: string[];
}

export interface RunResult {
  seed: number;
  /** When the run started (ISO 8601): the reports' timestamps come from here, not from the clock. */
  startedAt?: string;
  properties: PropertyOutcome[];
  checks: CheckResult[];
  durationMs: number;
  /** Set when the run stopped before its end (gateway down for good, SIGINT, mock gone). */
  stopped?: { reason: string };
  /** Set when preflight found the setup unusable; `checks` is then empty. */
  setup?: SetupProblem[];
  /** What preflight saw: the providers the gateway used, and in which order. */
  preflight?: PreflightSummary;
  /** Which mock step reached the gateway in which condition, JSON or streamed, and how it ended. */
  coverage?: CoverageMatrix;
}
