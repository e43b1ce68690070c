import type fc from "fast-check";
import type { RunContext } from "./context.ts";
import type { CaseSpec } from "./types.ts";

/** One property: a generator of cases and the checks that decide whether it holds. */
export interface Property {
  /** Stable id, e.g. `blackbox.auth`. */
  id: string;
  suite: string;
  title: string;
  /** Whether the property runs once per endpoint family (default true); route checks do not. */
  perFamily?: boolean;
  /** Upstream properties need the mock; they are skipped, with the reason, without it. */
  needsMock: boolean;
  /** A reason to skip, when the target lacks what the property needs. */
  skip?(ctx: RunContext): string | undefined;
  /** Cases to generate, relative to the run's default. */
  runs?(ctx: RunContext): number;
  /** The checks whose failure falsifies the property (and gets shrunk); every check still judges every exchange. */
  checks: string[];
  arbitrary(ctx: RunContext): fc.Arbitrary<CaseSpec>;
  /**
   * The coverage phase: deterministic cases run before the random ones, every one judged like them
   * (harness/coverage.ts). They are not shrunk: each is already one step in one place.
   */
  coverage?(ctx: RunContext): CaseSpec[];
}

export interface Suite {
  id: string;
  title: string;
  properties: Property[];
}
