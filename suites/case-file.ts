import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import { UsageError } from "../core/errors.ts";
import { describeZodError } from "../core/profile/load.ts";
import { keySource, SECRET_FIELDS, type SecretField } from "../core/target-keys.ts";
import type { CaseSpec, RequestSpec, Scenario } from "./harness/types.ts";
import type { Target } from "./target.ts";

const CaseFile = z.object({
  faultline: z.literal(1),
  checkId: z.string(),
  profile: z.string(),
  property: z.string(),
  seed: z.number().optional(),
  path: z.string().optional(),
  /** The profile as it was judged (validated again on replay), so replay needs no profile file. */
  profileContents: z.unknown().optional(),
  /** What replay needs of the target besides its URLs and secrets. */
  target: z
    .object({
      model: z.string(),
      chatPath: z.string().optional(),
      auth: z.enum(["key", "none"]).optional(),
      headers: z.record(z.string(), z.string()).default({}),
      deadlineMs: z.number().optional(),
    })
    .optional(),
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
    // A client that hangs up mid-request (suites/disconnect-client.ts): without it a replay would wait for the answer.
    clientAbort: z
      .object({
        at: z.enum(["before_response", "after_headers", "after_first_event"]),
        trigger: z.enum(["open", "answered"]).optional(),
        delayMs: z.number().int().min(0).optional(),
      })
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

const ENV_SLOT = /\{\{env\.([A-Z0-9_]+)\}\}/g;

/** The environment variables a text's `{{env.NAME}}` slots name. */
export function envSlots(text: string): string[] {
  return [...new Set([...text.matchAll(ENV_SLOT)].map((m) => m[1]!))];
}

/** Fills `{{env.NAME}}` slots (credential headers, provider keys) from the environment; a missing one is named. */
export function fillEnvSlots(text: string, env: NodeJS.ProcessEnv, json = false): string {
  return text.replace(ENV_SLOT, (_slot, name: string) => {
    const v = env[name];
    if (!v) throw new UsageError(`the case needs a secret that is not in its file: set ${name}`);
    return json ? JSON.stringify(v).slice(1, -1) : v;
  });
}

/** The flag and variable that give a secret slot. */
export function slotSource(slot: SecretField): string {
  return keySource(slot);
}

/** Fills the `{{apiKey}}` slots of a JSON text with the given secrets, and `{{env.NAME}}` from the environment. */
export function fillSecretText(
  text: string,
  keys: Partial<Record<SecretField, string>>,
  env: NodeJS.ProcessEnv = process.env,
): string {
  let out = text;
  for (const slot of SECRET_FIELDS) {
    if (!out.includes(`{{${slot}}}`)) continue;
    const v = keys[slot];
    if (!v) throw new UsageError(`the case sends the target's ${slot}: ${slotSource(slot)}`);
    out = out.split(`{{${slot}}}`).join(JSON.stringify(v).slice(1, -1));
  }
  return fillEnvSlots(out, env, true);
}

/** Fills a case's secret slots with the replaying target's secrets and the environment's. */
export function fillSecrets(c: CaseSpec, t: Target, env: NodeJS.ProcessEnv = process.env): CaseSpec {
  return JSON.parse(fillSecretText(JSON.stringify(c), t, env)) as CaseSpec;
}
