import {
  type CoverageMatrix,
  describeCell,
  stepSummary,
  unreachedSteps,
} from "../harness/coverage-matrix.ts";

/**
 * The coverage matrix for summary.md: one row per step of the mock's registry, JSON and streamed, with
 * what its cases came to (pass, fail, inconclusive, not reached) and the conditions they produced.
 */
export function coverageMarkdown(m: CoverageMatrix): string[] {
  const out = [
    "",
    "### Coverage",
    "",
    "Each step of the mock was put in front of the gateway by the coverage phase (on the first, middle and last provider and on every provider, JSON and streamed), then drawn at random. A case is *not reached* when it held but the gateway never made the attempt the step waited on.",
    "",
    "| step | JSON | stream | conditions |",
    "|---|---|---|---|",
  ];
  for (const step of m.steps) {
    const s = stepSummary(m, step);
    out.push(
      `| ${step} | ${describeCell(s.json)} | ${describeCell(s.stream)} | ${s.conditions.join(", ") || "—"} |`,
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
