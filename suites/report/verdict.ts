import type { RunResult } from "../harness/runner.ts";

export interface Verdict {
  exitCode: 0 | 1;
  summary: string;
  mustFailures: string[];
  shouldFailures: string[];
  errors: string[];
}

/** must failures fail the run; should failures only with --strict; info never (as in h2spec and Autobahn). */
export function verdictOf(r: RunResult, strict: boolean): Verdict {
  const failed = r.checks.filter((c) => c.outcome === "fail");
  const mustFailures = failed.filter((c) => c.level === "must").map((c) => c.id);
  const shouldFailures = failed.filter((c) => c.level === "should").map((c) => c.id);
  const errors = r.properties.filter((p) => p.status === "error").map((p) => `${p.id}: ${p.reason}`);
  const passed = r.checks.filter((c) => c.outcome === "pass").length;
  const skipped = r.checks.filter((c) => c.outcome !== "pass" && c.outcome !== "fail").length;
  const bad = mustFailures.length > 0 || errors.length > 0 || (strict && shouldFailures.length > 0);
  const summary =
    `${bad ? "FAILED" : "PASSED"}: ${passed} passed, ${failed.length} failed (${mustFailures.length} must, ${shouldFailures.length} should${strict ? ", strict" : ", non-strict"}), ${skipped} skipped` +
    (errors.length ? `; ${errors.length} property error(s): ${errors.join("; ")}` : "");
  return { exitCode: bad ? 1 : 0, summary, mustFailures, shouldFailures, errors };
}
