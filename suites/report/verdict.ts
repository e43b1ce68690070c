import type { RunResult } from "../harness/result.ts";

export interface Verdict {
  /** 0 passed; 1 the gateway failed, or the run could not finish; 2 nothing was judged (setup, selection). */
  exitCode: 0 | 1 | 2;
  summary: string;
  mustFailures: string[];
  shouldFailures: string[];
  errors: string[];
  /** Properties stopped before their last case: `id (k of n)`. */
  incomplete: string[];
  /** With --strict: must checks that were not exercised or ended inconclusive. */
  unjudged: string[];
}

/**
 * must failures fail the run; should failures only with --strict; info never (as in h2spec and Autobahn).
 * A green is earned: a run that judged nothing exits 2, an incomplete property fails the run, and --strict
 * also fails on a must check that was not exercised or ended inconclusive.
 */
export function verdictOf(r: RunResult, strict: boolean): Verdict {
  const count = (o: string) => r.checks.filter((c) => c.outcome === o).length;
  const failed = r.checks.filter((c) => c.outcome === "fail");
  const mustFailures = failed.filter((c) => c.level === "must").map((c) => c.id);
  const shouldFailures = failed.filter((c) => c.level === "should").map((c) => c.id);
  const errors = r.properties.filter((p) => p.status === "error").map((p) => `${p.id}: ${p.reason}`);
  const incomplete = r.properties
    .filter((p) => p.status === "incomplete")
    .map((p) => `${p.id} (${p.executed} of ${p.requested})`);
  const unjudged = strict
    ? r.checks
        .filter((c) => c.level === "must" && (c.outcome === "not_exercised" || c.outcome === "inconclusive"))
        .map((c) => `${c.id} ${c.outcome === "inconclusive" ? "inconclusive" : "not exercised"}`)
    : [];
  const passed = count("pass");
  const base = { mustFailures, shouldFailures, errors, incomplete, unjudged };
  if (r.setup?.length) {
    return {
      ...base,
      exitCode: 2,
      summary: `SETUP ERROR: ${r.setup.map((s) => `${s.message} — ${s.fix}`).join("; ")}`,
    };
  }
  const tail = [
    errors.length ? `${errors.length} property error(s): ${errors.join("; ")}` : "",
    incomplete.length ? `incomplete: ${incomplete.join(", ")}` : "",
    unjudged.length ? `strict, not judged: ${unjudged.join(", ")}` : "",
    r.stopped ? `stopped early: ${r.stopped.reason}` : "",
  ]
    .filter(Boolean)
    .map((s) => `; ${s}`)
    .join("");
  if (passed + failed.length === 0) {
    return {
      ...base,
      exitCode: 2,
      summary: `NOTHING JUDGED: no check passed or failed (${count("not_exercised")} not exercised, ${count("inconclusive")} inconclusive, ${count("not_declared")} not declared, ${count("not_selected")} not selected)${tail}`,
    };
  }
  const bad =
    mustFailures.length > 0 ||
    errors.length > 0 ||
    incomplete.length > 0 ||
    (strict && (shouldFailures.length > 0 || unjudged.length > 0));
  const summary =
    `${bad ? "FAILED" : "PASSED"}: ${passed} passed, ${failed.length} failed (${mustFailures.length} must, ${shouldFailures.length} should${strict ? ", strict" : ", non-strict"}), ` +
    `${count("inconclusive")} inconclusive, ${count("not_exercised")} not exercised, ${count("not_declared")} not declared, ${count("not_selected")} not selected${tail}`;
  return { ...base, exitCode: bad ? 1 : 0, summary };
}
