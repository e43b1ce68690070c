import {
  addCells,
  type CoverageMatrix,
  describeCell,
  stepSummary,
  unreachedSteps,
} from "../harness/coverage-matrix.ts";

/**
 * The coverage matrix for summary.md: one row per step of the mock's registry, with what the coverage
 * phase's cases came to, JSON and streamed (pass, fail, inconclusive, not reached), what the random
 * phase's did, and the conditions they produced. report.json has every row by condition and variant.
 */
export function coverageMarkdown(m: CoverageMatrix): string[] {
  const out = [
    "",
    "### Coverage",
    "",
    "The coverage phase put each step of the mock in front of the gateway (on the first, middle and last provider and on every provider, JSON and streamed) before the random phase drew its cases. A case is *not reached* when it held but the gateway never made the attempt the step waited on (for a random case, often a later step of a provider the gateway did not ask again).",
    "",
    "| step | coverage: JSON | coverage: stream | random phase | conditions |",
    "|---|---|---|---|---|",
  ];
  for (const step of m.steps) {
    const cov = stepSummary(m, step, "coverage");
    const rnd = stepSummary(m, step, "random");
    const all = stepSummary(m, step);
    out.push(
      `| ${step} | ${describeCell(cov.json)} | ${describeCell(cov.stream)} | ${describeCell(addCells(rnd.json, rnd.stream))} | ${all.conditions.join(", ") || "—"} |`,
    );
  }
  const missed = unreachedSteps(m);
  if (missed.length) out.push("", `**Never reached:** ${missed.join(", ")}.`);
  return out;
}

/** One console line: how many of the mock's steps reached the gateway. */
export function coverageLine(m: CoverageMatrix): string {
  const missed = unreachedSteps(m);
  const reached = m.steps.length - missed.length;
  return `coverage: ${reached} of ${m.steps.length} mock steps reached the gateway${missed.length ? ` (never: ${missed.join(", ")})` : ""} — the matrix is in summary.md and report.json`;
}
