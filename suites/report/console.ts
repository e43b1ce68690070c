import type { CheckResult, RunResult, ViolationRecord } from "../harness/runner.ts";
import type { Target } from "../target.ts";
import { curlsFor } from "./curl.ts";
import { verdictOf } from "./verdict.ts";

const ICON: Record<string, string> = {
  pass: "PASS",
  fail: "FAIL",
  not_exercised: "NOT EXERCISED",
  not_declared: "NOT DECLARED",
  inconclusive: "INCONCLUSIVE",
  not_selected: "NOT SELECTED",
};

export function formatViolation(v: ViolationRecord, t: Target, runSeed?: number): string {
  const lines = [
    `  ${v.checkId} in ${v.property}${v.shrunk ? " (shrunk)" : ""}: ${v.case.condition}${v.case.note ? ` (${v.case.note})` : ""}`,
    `    Expected: ${v.expected}`,
    `    Received: ${v.received}`,
  ];
  if (v.case.plan) lines.push(`    Plan: ${JSON.stringify(v.case.plan)}`);
  if (v.journal.length)
    lines.push(
      `    Journal: ${v.journal.map((e) => `${e.provider}#${e.attempt} ${e.step}${e.status ? ` ${e.status}` : ""}`).join(", ")}`,
    );
  lines.push("", "    Reproduce with:", ...curlsFor(t, v.case).map((l) => `      ${l}`));
  if (v.case.plan)
    lines.push("      (the request carries a plan marker: `faultline replay` registers the plan first)");
  lines.push(
    `      faultline run … --seed ${runSeed ?? "<run seed>"} --only ${v.checkId}   # fast-check seed ${v.seed}${v.path ? ` path ${v.path}` : ""}`,
  );
  if (v.replay) lines.push(`      ${v.replay}`);
  return lines.join("\n");
}

/** The console summary: one line per check grouped by outcome, then each violation with its reproduction. */
export function formatRun(r: RunResult, t: Target, profileName: string, strict: boolean): string {
  const out: string[] = [];
  out.push(
    `faultline: profile ${profileName}, gateway ${t.gateway}${t.mock ? `, mock ${t.mock}` : ""}, seed ${r.seed}`,
  );
  for (const p of r.properties) {
    out.push(
      `  ${p.status.padEnd(7)} ${p.id.padEnd(26)} ${p.status === "skipped" || p.status === "error" ? p.reason : `${p.executed} of ${p.requested} cases, ${p.durationMs} ms`}`,
    );
  }
  out.push("");
  const byOutcome = (o: string) => r.checks.filter((c) => c.outcome === o);
  for (const o of ["fail", "inconclusive", "pass", "not_exercised", "not_declared", "not_selected"])
    for (const c of byOutcome(o)) out.push(checkLine(c));
  const failures = r.checks.filter((c) => c.outcome === "fail");
  if (failures.length) {
    out.push("", "Violations:");
    for (const c of failures) {
      out.push(
        "",
        `${c.id} [${c.level}] ${c.title}`,
        `  "${c.sentence}" (${c.source})`,
        `  How to fix: ${c.fix}`,
      );
      for (const v of c.violations) out.push(formatViolation(v, t, r.seed));
    }
  }
  const v = verdictOf(r, strict);
  out.push(
    "",
    `${v.summary} in ${(r.durationMs / 1000).toFixed(1)} s — replay this run with --seed ${r.seed}`,
  );
  return out.join("\n");
}

function checkLine(c: CheckResult): string {
  const detail =
    c.outcome !== "pass" && c.outcome !== "fail"
      ? ` — ${c.reason}`
      : c.outcome === "fail"
        ? ` — ${c.violations.length} violation(s)`
        : ` (${c.evaluated} exchanges)`;
  return `${ICON[c.outcome]} ${c.id.padEnd(9)} ${c.level.padEnd(6)} ${c.title}${detail}`;
}
