import { existsSync, readFileSync } from "node:fs";
import { parse } from "yaml";
import { z } from "zod";
import { UsageError } from "./errors.ts";
import { describeZodError } from "./profile/load.ts";

const url = z.url({ protocol: /^https?$/ });

/** The gateway under test, its credentials and fixtures. */
export const Target = z
  .object({
    gateway: url,
    apiKey: z.string().min(1),
    model: z.string().min(1),
    brokeKey: z.string().min(1).optional(),
    limitedKey: z.string().min(1).optional(),
    disabledModel: z.string().min(1).optional(),
    /** The mock's base URL (control API at /_faultline); upstream suites are skipped without it. */
    mock: url.optional(),
    /** The gateway must answer within this long even when every provider hangs. */
    deadlineMs: z.number().int().positive().optional(),
    /** Extra headers sent with every request. */
    headers: z.record(z.string(), z.string()).default({}),
  })
  .strict();
export type Target = z.infer<typeof Target>;

/** Flag → field. Environment variables are FAULTLINE_<FIELD in upper snake case>. */
const FIELDS = [
  "gateway",
  "apiKey",
  "model",
  "brokeKey",
  "limitedKey",
  "disabledModel",
  "mock",
  "deadlineMs",
] as const;

function envName(field: string): string {
  return `FAULTLINE_${field.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/**
 * Resolves the target: flags win over environment variables (FAULTLINE_GATEWAY, FAULTLINE_API_KEY, …),
 * which win over a config file (YAML or JSON with the same field names).
 */
export function resolveTarget(
  flags: Partial<Record<(typeof FIELDS)[number], string | number | undefined>> & { config?: string },
  env: NodeJS.ProcessEnv = process.env,
): Target {
  let fromFile: Record<string, unknown> = {};
  const configPath = flags.config ?? env.FAULTLINE_CONFIG;
  if (configPath) {
    if (!existsSync(configPath)) throw new UsageError(`--config: file not found: ${configPath}`);
    const raw = parse(readFileSync(configPath, "utf8"));
    if (typeof raw !== "object" || raw === null)
      throw new UsageError(`--config ${configPath}: expected a mapping`);
    fromFile = raw as Record<string, unknown>;
  }
  const merged: Record<string, unknown> = { ...fromFile };
  for (const f of FIELDS) {
    const e = env[envName(f)];
    if (e !== undefined && e !== "") merged[f] = f === "deadlineMs" ? Number(e) : e;
    const v = flags[f];
    if (v !== undefined) merged[f] = v;
  }
  const parsed = Target.safeParse(merged);
  if (!parsed.success) {
    throw new UsageError(
      `invalid target:\n${describeZodError("target", parsed.error)}\n(set with flags such as --gateway, environment variables such as ${envName("gateway")}, or --config FILE)`,
    );
  }
  return {
    ...parsed.data,
    gateway: parsed.data.gateway.replace(/\/$/, ""),
    mock: parsed.data.mock?.replace(/\/$/, ""),
  };
}

/** The secrets a report must never show. */
export function targetSecrets(t: Target): string[] {
  return [t.apiKey, t.brokeKey, t.limitedKey].filter((s): s is string => !!s);
}
