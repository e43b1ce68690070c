import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import type { Profile } from "../../core/profile/schema.ts";
import { SECRET_FIELDS } from "../../core/target-keys.ts";
import type { CheckResult, RunResult } from "../harness/result.ts";
import { type Target, targetSecrets } from "../target.ts";
import type { RerunCommand } from "./console.ts";
import { coverageMarkdown } from "./coverage.ts";
import { curlsFor, secretEnvRefs } from "./curl.ts";
import { escapeControl, sanitizer } from "./safe-text.ts";
import { verdictOf } from "./verdict.ts";

/** Secrets in a case file become `{{apiKey}}`-style slots that `faultline replay` fills from its own target. */
export const SECRET_SLOTS = SECRET_FIELDS;

/** Other secrets (credential headers, provider keys) become `{{env.NAME}}`: replay reads the variable. */
export function templateSecrets(text: string, t: Target): string {
  let out = text;
  for (const slot of SECRET_SLOTS) {
    const v = t[slot];
    if (v) out = out.split(v).join(`{{${slot}}}`);
  }
  for (const [value, env] of secretEnvRefs(t)) out = out.split(value).join(`{{env.${env}}}`);
  return out;
}

/** What a case file keeps of the target so `faultline replay` needs only the URLs and the secrets. */
export interface CaseTarget {
  model: string;
  chatPath?: string;
  auth?: "key" | "none";
  /** The target's headers as configured (templates unrendered), secrets as slots. */
  headers: Record<string, string>;
  deadlineMs?: number;
}

export interface ReportOptions {
  /** How `faultline replay` reaches this target (flags after the case file); the target's URLs by default. */
  replayArgs?: string;
  /** The command that reruns the run for one check (printed in summary.md). */
  rerun?: RerunCommand;
  /** The target as configured, before its templates were rendered. */
  caseTarget?: CaseTarget;
  /** How printed commands call the CLI. */
  cli?: string;
}

/** Text for an XML attribute or element: control characters made visible first (XML 1.0 forbids them). */
function xml(s: string): string {
  return escapeControl(s).replace(
    /[<>&"']/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!,
  );
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

function checkCase(c: CheckResult, classname: string): string {
  const head = `    <testcase classname="${classname}.${c.level}" name="${xml(`${c.id} ${c.title}`)}">`;
  switch (c.outcome) {
    case "pass":
      return `${head}</testcase>`;
    case "fail": {
      const body = c.violations
        .map((v) => `${v.property}: expected ${v.expected}; received ${v.received}`)
        .join("\n");
      return `${head}<failure type="${c.level}" message="${xml(`${c.level}: ${c.sentence}`)}">${xml(body)}</failure></testcase>`;
    }
    case "inconclusive":
      return `${head}<skipped message="${xml(`inconclusive: ${c.reason ?? "its cases could not be judged"}`)}"/></testcase>`;
    default:
      return `${head}<skipped message="${xml(`${c.outcome.replace("_", " ")}: ${c.reason ?? ""}`)}"/></testcase>`;
  }
}

function errorCase(classname: string, name: string, message: string, detail = ""): string {
  return `    <testcase classname="${classname}" name="${xml(name)}"><error message="${xml(message)}">${xml(detail)}</error></testcase>`;
}

/**
 * JUnit XML as the Jenkins xUnit `junit-10` schema reads it (test/junit-schema.test.ts validates it):
 * counts and times on both levels, no `skipped` on `testsuites`. A check is a testcase; outcomes that did
 * not judge map to `<skipped message>`; setup problems, property errors, incomplete properties and an
 * early stop are `<error>` testcases of their own.
 */
export function junit(r: RunResult, profile: string): string {
  const classname = `faultline.${xml(profile)}`;
  const cases = r.checks.map((c) => checkCase(c, classname));
  for (const s of r.setup ?? [])
    cases.push(errorCase(`${classname}.setup`, `setup: ${s.id}`, s.message, `Fix: ${s.fix}`));
  for (const p of r.properties)
    if (p.status === "error" || p.status === "incomplete")
      cases.push(
        errorCase(
          `${classname}.property`,
          `property ${p.id}`,
          `${p.status}: ${p.reason ?? ""}`,
          `${p.executed} of ${p.requested} cases`,
        ),
      );
  if (r.stopped) cases.push(errorCase(`${classname}.run`, "run stopped early", r.stopped.reason));
  const tests = cases.length;
  const failures = r.checks.filter((c) => c.outcome === "fail").length;
  const errors = tests - r.checks.length;
  const skipped = r.checks.filter((c) => c.outcome !== "pass" && c.outcome !== "fail").length;
  const time = seconds(r.durationMs);
  const timestamp = new Date(r.startedAt ?? Date.now() - r.durationMs).toISOString().replace(/\.\d+Z$/, "");
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="faultline" tests="${tests}" failures="${failures}" errors="${errors}" time="${time}">`,
    `  <testsuite name="${classname}" tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time}" timestamp="${timestamp}">`,
    ...cases,
    "  </testsuite>",
    "</testsuites>",
    "",
  ].join("\n");
}

/** summary.md: the verdict, one row per check, the coverage matrix, each violation with its reproduction. */
export function summaryMarkdown(
  r: RunResult,
  t: Target,
  profile: string,
  strict: boolean,
  rerun?: RerunCommand,
): string {
  const v = verdictOf(r, strict);
  const state = r.setup?.length
    ? "setup error"
    : v.exitCode === 0
      ? "passed"
      : v.exitCode === 2
        ? "not judged"
        : "failed";
  const out = [
    `## Faultline: ${profile} — ${state}`,
    "",
    `Gateway \`${t.gateway}\`, seed \`${r.seed}\`. ${v.summary}.`,
  ];
  if (r.stopped) out.push("", `**The run stopped early:** ${r.stopped.reason}`);
  if (r.setup?.length) {
    out.push(
      "",
      "### Setup problems",
      "",
      "No check was run: Faultline cannot exercise this gateway as set up.",
      "",
    );
    for (const s of r.setup) out.push(`- **${s.id}**: ${s.message}  `, `  Fix: ${s.fix}`);
    return sanitizer(targetSecrets(t))(`${out.join("\n")}\n`);
  }
  out.push(
    "",
    "| check | outcome | level | title | source |",
    "|---|---|---|---|---|",
    ...r.checks.map(
      (c) =>
        `| ${c.id} | ${c.outcome === "fail" ? "**fail**" : c.outcome.replace("_", " ")} | ${c.level} | ${c.title} | ${c.source} |`,
    ),
  );
  if (r.coverage) out.push(...coverageMarkdown(r.coverage));
  const failed = r.checks.filter((c) => c.outcome === "fail");
  if (failed.length) out.push("", "### Violations");
  for (const c of failed) {
    for (const x of c.violations) {
      out.push(
        "",
        `#### ${c.id} — ${c.title} (${x.property})`,
        "",
        `- Expected: ${x.expected}`,
        `- Received: ${x.received}`,
        ...(x.case.plan ? [`- Plan: \`${JSON.stringify(x.case.plan)}\``] : []),
        "",
        "```sh",
        ...curlsFor(t, x.case),
        ...(rerun ? [rerun(c.id)] : []),
        ...(x.replay ? [x.replay] : []),
        "```",
      );
    }
  }
  return sanitizer(targetSecrets(t))(`${out.join("\n")}\n`);
}

/**
 * The result with each violation's case file (`cases/001-ID.json` under `dir`) and the command that replays
 * it. A new value: the run's own result is left as the runner finished it.
 */
export function withCaseFiles(dir: string, r: RunResult, t: Target, opts: ReportOptions = {}): RunResult {
  const cli = opts.cli ?? "npx faultline";
  let n = 0;
  const checks = r.checks.map((c) => ({
    ...c,
    violations: c.violations.map((v) => {
      const file = join(dir, "cases", `${String(++n).padStart(3, "0")}-${c.id}.json`);
      const rel = relative(process.cwd(), file);
      const caseFile = rel && !rel.startsWith("..") ? rel : resolve(file);
      const replay = `${cli} replay ${caseFile}${opts.replayArgs ?? ` --gateway ${t.gateway}${t.mock ? ` --mock ${t.mock}` : ""}`}`;
      return { ...v, caseFile, replay };
    }),
  }));
  return { ...r, checks };
}

/**
 * Writes report.json, junit.xml, summary.md and one case file per violation, on every exit (setup
 * problems and early stops included). Secrets are redacted and control characters made visible in all of
 * them. Answers the result as reported: `withCaseFiles` of it, for the console to print the replays.
 */
export function writeReport(
  dir: string,
  run: RunResult,
  t: Target,
  profile: Profile,
  strict: boolean,
  opts: ReportOptions = {},
): RunResult {
  mkdirSync(join(dir, "cases"), { recursive: true });
  const clean = sanitizer(targetSecrets(t));
  const r = withCaseFiles(dir, run, t, opts);
  for (const c of r.checks) {
    for (const v of c.violations) {
      const caseFile = {
        faultline: 1,
        checkId: c.id,
        profile: profile.name,
        property: v.property,
        seed: v.seed,
        path: v.path,
        // The contract as it was judged, so replay needs neither the profile file nor its path.
        profileContents: profile,
        target: opts.caseTarget,
        case: v.case,
      };
      writeFileSync(v.caseFile!, clean(templateSecrets(`${JSON.stringify(caseFile, null, 2)}\n`, t)));
    }
  }
  const report = {
    tool: "faultline",
    profile: profile.name,
    target: {
      ...t,
      apiKey: "[redacted]",
      brokeKey: t.brokeKey && "[redacted]",
      limitedKey: t.limitedKey && "[redacted]",
      otherApiKey: t.otherApiKey && "[redacted]",
      concurrencyKey: t.concurrencyKey && "[redacted]",
    },
    strict,
    verdict: verdictOf(r, strict),
    ...r,
  };
  writeFileSync(join(dir, "report.json"), clean(`${JSON.stringify(report, null, 2)}\n`));
  writeFileSync(join(dir, "junit.xml"), clean(junit(r, profile.name)));
  writeFileSync(join(dir, "summary.md"), clean(summaryMarkdown(r, t, profile.name, strict, opts.rerun)));
  return r;
}
