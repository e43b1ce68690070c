import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import { UsageError } from "./errors.ts";
import type { Scenario } from "./harness/scenario-case.ts";
import type { CaseSpec, RequestSpec } from "./harness/types.ts";
import { describeZodError } from "./profile/load.ts";
import { SECRET_SLOTS } from "./report/files.ts";
import type { Target } from "./target.ts";

const CaseFile = z.object({
  faultline: z.literal(1),
  checkId: z.string(),
  profile: z.string(),
  property: z.string(),
  seed: z.number().optional(),
  path: z.string().optional(),
  case: z.object({
    property: z.string(),
    condition: z.string(),
    request: z.object({
      method: z.string(),
      path: z.string(),
      headers: z.record(z.string(), z.string()),
      body: z.string().optional(),
    }),
    plan: z
      .object({ providers: z.record(z.string(), z.array(z.unknown())), seed: z.number().optional() })
      .optional(),
    expectCodes: z.array(z.string()).optional(),
    expectStatus: z.array(z.number()).optional(),
    expectField: z.string().optional(),
    family: z.string().optional(),
    // Multi-request cases (suites/harness/scenario-case.ts): without it a replay would send the first step alone.
    scenario: z
      .custom<Scenario>((v) => typeof v === "object" && v !== null && Array.isArray((v as Scenario).steps))
      .optional(),
    note: z.string().optional(),
  }),
});
export type CaseFile = z.infer<typeof CaseFile>;

export function readCaseFile(file: string): CaseFile {
  if (!existsSync(file)) throw new UsageError(`case file not found: ${file}`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new UsageError(`case file ${file} is not JSON: ${(e as Error).message}`);
  }
  const parsed = CaseFile.safeParse(raw);
  if (!parsed.success)
    throw new UsageError(`invalid case file ${file}:\n${describeZodError("case", parsed.error)}`);
  return parsed.data;
}

/** The target's own headers replace the case's headers of the same name, in every request of the case. */
export function withTargetHeaders(c: CaseSpec, t: Target): CaseSpec {
  const names = Object.keys(t.headers);
  if (!names.length) return c;
  const over = (r: RequestSpec): RequestSpec => ({ ...r, headers: { ...r.headers, ...t.headers } });
  return {
    ...c,
    request: over(c.request),
    scenario: c.scenario && {
      ...c.scenario,
      steps: c.scenario.steps.map((s) => ({ ...s, request: over(s.request) })),
    },
  };
}

/** Fills the `{{apiKey}}` slots with the replaying target's secrets. */
export function fillSecrets(c: CaseSpec, t: Target): CaseSpec {
  let text = JSON.stringify(c);
  for (const slot of SECRET_SLOTS) {
    if (!text.includes(`{{${slot}}}`)) continue;
    const v = t[slot];
    if (!v)
      throw new UsageError(
        `the case needs the target's ${slot}; pass it with --${slot.replace(/[A-Z]/g, (x) => `-${x.toLowerCase()}`)}`,
      );
    text = text.split(`{{${slot}}}`).join(JSON.stringify(v).slice(1, -1));
  }
  return JSON.parse(text) as CaseSpec;
}
