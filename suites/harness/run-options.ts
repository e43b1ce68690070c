import type { Check } from "../checks/registry.ts";
import type { PropertyOutcome } from "./result.ts";

// What a caller asks of a run and hears while it goes; the runner and each property share it.

export interface RunOptions {
  /**
   * The checks that judge the run's exchanges: the registry is handed to the runner, never imported by it
   * (`allChecks()` of suites/checks/index.ts for the built-in set). `only` and `skip` select among them.
   */
  checks: Check[];
  /** Id patterns (`ENV-*`, `FO-001`) of checks to run; empty means all. */
  only?: string[];
  skip?: string[];
  /** Stop a property (generation and shrinking) after this long; default: `defaultPropertyBudgetMs`. */
  propertyBudgetMs?: number;
  /**
   * Properties run at once. Default: 4 for the black-box properties (stateless), 1 for the ones that go
   * upstream, so one property's cases cannot trip the breakers another property's cases are judged by.
   */
  concurrency?: number;
  /**
   * Properties that go upstream run at once; default `concurrency`, else 1, so a gateway's breaker or
   * cooldown tripped by one case cannot spoil another's. The built-in reference gateway keeps no state
   * between requests, so `faultline run` gives it 4.
   */
  upstreamConcurrency?: number;
  /**
   * Coverage-phase cases of one property run at once (default 1). More is faster against a stateless
   * gateway, but a crash is then blamed on whichever case in flight noticed it first (LIVE-001), and a
   * gateway with breakers or a --between-cases hook sees cases side by side that it should see one by one.
   */
  coverageConcurrency?: number;
  /**
   * How long to wait before the one retry of a case whose provider the gateway skipped (a circuit breaker
   * or cooldown). Default 0: such a case is retried at once and, if skipped again, inconclusive; a gateway
   * with a breaker needs its open time here to be judged.
   */
  settleMs?: number;
  /** A shell command run before every upstream case (a user's reset hook); its failure is a setup error. */
  betweenCases?: string;
  /** How long the hook may take (default: the harness deadline). */
  betweenCasesTimeoutMs?: number;
  /** How long to wait for a supervisor to restart a gateway that stopped accepting connections (default 10 s). */
  restartWaitMs?: number;
  /** Aborting it stops the run after the cases in flight; the result says so in `stopped`. */
  signal?: AbortSignal;
  onProperty?: (p: PropertyOutcome) => void;
  /** After every case a property runs (coverage and generation; not shrinking): for live progress. */
  onCase?: (p: CaseProgress) => void;
}

/** One property's progress: cases done of those it will run, and how many of them broke a check. */
export interface CaseProgress {
  property: string;
  done: number;
  requested: number;
  failures: number;
}
