import type {
  CheckResult,
  PreflightSummary,
  RunResult,
  SetupProblem,
  ViolationRecord,
} from "../harness/result.ts";
import { type Target, targetSecrets } from "../target.ts";
import { coverageLine } from "./coverage.ts";
import { curlsFor } from "./curl.ts";
import { escapeControl, sanitizer } from "./safe-text.ts";
import { verdictOf } from "./verdict.ts";

const ICON: Record<string, string> = {
  pass: "PASS",
  fail: "FAIL",
  not_exercised: "NOT EXERCISED",
  not_declared: "NOT DECLARED",
  inconclusive: "INCONCLUSIVE",
  not_selected: "NOT SELECTED",
};

/** How a report tells the user to rerun one check: the run's own command with `--seed` and `--only`. */
export type RerunCommand = (checkId: string) => string;

/**
 * One violation with its reproduction. Safe to print as it is: the target's secrets redacted and the
 * gateway's control bytes escaped (what the gateway sent is quoted in Received).
 */
export function formatViolation(
  v: ViolationRecord,
  t: Target,
  runSeed?: number,
  rerun?: RerunCommand,
): string {
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
  const seedNote = `# fast-check seed ${v.seed}${v.path ? ` path ${v.path}` : ""}`;
  if (rerun) lines.push(`      ${rerun(v.checkId)}   ${seedNote}`);
  else if (runSeed !== undefined)
    lines.push(`      # rerun the check with --seed ${runSeed} --only ${v.checkId} ${seedNote}`);
  if (v.replay) lines.push(`      ${v.replay}`);
  return sanitizer(targetSecrets(t))(lines.join("\n"));
}

function propertyLine(p: RunResult["properties"][number]): string {
  const detail =
    p.status === "skipped" || p.status === "error"
      ? p.reason
      : `${p.executed} of ${p.requested} cases${p.coverageCases ? ` (${p.coverageCases} from the coverage phase)` : ""}${p.inconclusive ? `, ${p.inconclusive} inconclusive` : ""}, ${p.durationMs} ms${p.status === "incomplete" && p.reason ? ` — ${p.reason}` : ""}`;
  return `  ${p.status.padEnd(10)} ${p.id.padEnd(26)} ${detail}`;
}

/**
 * The console summary: one line per check grouped by outcome, then each violation with its reproduction.
 * It only reads the result; its text is safe to print (secrets redacted, control bytes escaped).
 */
export function formatRun(
  r: RunResult,
  t: Target,
  profileName: string,
  strict: boolean,
  rerun?: RerunCommand,
): string {
  const out: string[] = [];
  out.push(
    `faultline: profile ${profileName}, gateway ${t.gateway}${t.mock ? `, mock ${t.mock}` : ""}, seed ${r.seed}`,
  );
  for (const p of r.properties) out.push(propertyLine(p));
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
      for (const v of c.violations) out.push(formatViolation(v, t, r.seed, rerun));
    }
  }
  if (r.coverage) out.push("", coverageLine(r.coverage));
  if (r.stopped) out.push("", `faultline: the run stopped early: ${r.stopped.reason}`);
  const v = verdictOf(r, strict);
  out.push(
    "",
    `${v.summary} in ${(r.durationMs / 1000).toFixed(1)} s — replay this run with --seed ${r.seed}`,
  );
  return sanitizer(targetSecrets(t))(out.join("\n"));
}

/** A setup problem is not a verdict on the gateway: what is wrong, and the one thing that fixes it. */
export function formatSetup(problems: SetupProblem[], reportDir?: string): string {
  const out = ["", "SETUP ERROR: Faultline cannot judge this gateway yet; no check was run.", ""];
  for (const p of problems) out.push(`  ${p.id}: ${p.message}`, `    Fix: ${p.fix}`, "");
  if (reportDir)
    out.push(`faultline: setup report written to ${reportDir}/ (report.json, junit.xml, summary.md)`);
  return escapeControl(out.join("\n"));
}

/** Which providers the clean requests reached, and the order the gateway fails over in. */
export function formatPreflight(s: PreflightSummary): string[] {
  const lines = s.families
    .filter((f) => f.providers.length)
    .map(
      (f) =>
        `faultline: preflight ${f.family === "default" ? "" : `(${f.family}) `}${f.path} → ${f.status}, answered by ${f.providers.join(", ")}`,
    );
  if (s.order?.length)
    lines.push(`faultline: preflight: the gateway fails over in the order ${s.order.join(" → ")}`);
  for (const n of s.notes) lines.push(`faultline: preflight: ${n}`);
  return lines.map(escapeControl);
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
