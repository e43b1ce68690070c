import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { redactText } from "../../mocks/redact.ts";
import type { RunResult } from "../harness/runner.ts";
import type { Profile } from "../profile/schema.ts";
import { type Target, targetSecrets } from "../target.ts";
import { curlsFor } from "./curl.ts";
import { verdictOf } from "./verdict.ts";

/** Secrets in a case file become `{{apiKey}}`-style slots that `faultline replay` fills from its own target. */
export const SECRET_SLOTS = ["apiKey", "brokeKey", "limitedKey", "otherApiKey", "concurrencyKey"] as const;

export function templateSecrets(text: string, t: Target): string {
  let out = text;
  for (const slot of SECRET_SLOTS) {
    const v = t[slot];
    if (v) out = out.split(v).join(`{{${slot}}}`);
  }
  return out;
}

function xml(s: string): string {
  return s.replace(
    /[<>&"']/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!,
  );
}

export function junit(r: RunResult, profile: string): string {
  const failures = r.checks.filter((c) => c.outcome === "fail").length;
  const skipped = r.checks.filter((c) => c.outcome !== "pass" && c.outcome !== "fail").length;
  const cases = r.checks.map((c) => {
    const name = `${c.id} ${c.title}`;
    const head = `    <testcase classname="faultline.${xml(profile)}.${c.level}" name="${xml(name)}">`;
    if (c.outcome !== "pass" && c.outcome !== "fail")
      return `${head}<skipped message="${xml(c.reason ?? "")}"/></testcase>`;
    if (c.outcome === "pass") return `${head}</testcase>`;
    const body = c.violations
      .map((v) => `${v.property}: expected ${v.expected}; received ${v.received}`)
      .join("\n");
    return `${head}<failure message="${xml(`${c.level}: ${c.sentence}`)}">${xml(body)}</failure></testcase>`;
  });
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="faultline" tests="${r.checks.length}" failures="${failures}" skipped="${skipped}" time="${r.durationMs / 1000}">`,
    `  <testsuite name="faultline.${xml(profile)}" tests="${r.checks.length}" failures="${failures}" skipped="${skipped}">`,
    ...cases,
    "  </testsuite>",
    "</testsuites>",
    "",
  ].join("\n");
}

export function summaryMarkdown(r: RunResult, t: Target, profile: string, strict: boolean): string {
  const v = verdictOf(r, strict);
  const out = [
    `## Faultline: ${profile} — ${v.exitCode === 0 ? "passed" : "failed"}`,
    "",
    `Gateway \`${t.gateway}\`, seed \`${r.seed}\`. ${v.summary}.`,
    "",
    "| check | outcome | level | title | source |",
    "|---|---|---|---|---|",
    ...r.checks.map(
      (c) =>
        `| ${c.id} | ${c.outcome === "fail" ? "**fail**" : c.outcome} | ${c.level} | ${c.title} | ${c.source} |`,
    ),
  ];
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
        ...(x.replay ? [x.replay] : []),
        "```",
      );
    }
  }
  return `${out.join("\n")}\n`;
}

/** Writes report.json, junit.xml, summary.md and one case file per violation, with secrets redacted. */
export function writeReport(
  dir: string,
  r: RunResult,
  t: Target,
  profile: Profile,
  strict: boolean,
  /** How `faultline replay` reaches this target (flags after the case file); the target's URLs by default. */
  replayArgs?: string,
): void {
  mkdirSync(join(dir, "cases"), { recursive: true });
  const secrets = targetSecrets(t);
  const clean = (s: string) => redactText(s, secrets);
  let n = 0;
  for (const c of r.checks) {
    for (const v of c.violations) {
      const file = join(dir, "cases", `${String(++n).padStart(3, "0")}-${c.id}.json`);
      v.caseFile = relative(process.cwd(), file) || file;
      v.replay = `faultline replay ${v.caseFile}${replayArgs ?? ` --gateway ${t.gateway}${t.mock ? ` --mock ${t.mock}` : ""}`}`;
      const caseFile = {
        faultline: 1,
        checkId: c.id,
        profile: profile.name,
        property: v.property,
        seed: v.seed,
        path: v.path,
        case: v.case,
      };
      writeFileSync(file, clean(templateSecrets(`${JSON.stringify(caseFile, null, 2)}\n`, t)));
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
  writeFileSync(join(dir, "summary.md"), clean(summaryMarkdown(r, t, profile.name, strict)));
}
