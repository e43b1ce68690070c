import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import type { Profile } from "../../core/profile/schema.ts";
import type { CaseTarget } from "../report/files.ts";
import { templateSecrets } from "../report/files.ts";
import { sanitizer } from "../report/safe-text.ts";
import { type Target, targetSecrets } from "../target.ts";
import { renderOutageHtml } from "./html.ts";
import type { OutageResult } from "./result.ts";

export interface OutageReportOptions {
  /** How printed replay commands reach the target (flags after the case file); its URLs by default. */
  replayArgs?: string;
  caseTarget?: CaseTarget;
  cli?: string;
}

/**
 * Writes outage.json, outage.html and one case file per kept violation (the `faultline replay` format:
 * the request with the plan the providers played on it). Secrets are redacted in all of them.
 */
export function writeOutageReport(
  dir: string,
  r: OutageResult,
  t: Target,
  profile: Profile,
  o: OutageReportOptions = {},
): { json: string; html: string } {
  mkdirSync(join(dir, "cases"), { recursive: true });
  const clean = sanitizer(targetSecrets(t));
  const cli = o.cli ?? "npx faultline";
  r.violations.forEach((v, i) => {
    const file = join(dir, "cases", `${String(i + 1).padStart(3, "0")}-${v.checkId}.json`);
    const rel = relative(process.cwd(), file);
    v.caseFile = rel && !rel.startsWith("..") ? rel : resolve(file);
    const caseFile = {
      faultline: 1,
      checkId: v.checkId,
      profile: profile.name,
      property: v.case.property,
      profileContents: profile,
      target: o.caseTarget,
      case: v.case,
      replay: `${cli} replay ${v.caseFile}${o.replayArgs ?? ` --gateway ${t.gateway} --mock ${t.mock}`}`,
    };
    writeFileSync(file, clean(templateSecrets(`${JSON.stringify(caseFile, null, 2)}\n`, t)));
  });
  const json = join(dir, "outage.json");
  const html = join(dir, "outage.html");
  writeFileSync(json, clean(`${JSON.stringify(r, null, 2)}\n`));
  writeFileSync(html, clean(renderOutageHtml(r)));
  return { json, html };
}
