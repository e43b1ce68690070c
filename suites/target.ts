import { existsSync, readFileSync } from "node:fs";
import { z } from "zod";
import { UsageError } from "../core/errors.ts";
import { describeZodError } from "../core/profile/load.ts";
import type { Profile } from "../core/profile/schema.ts";
import { fromEnv, SECRET_KEYS, TARGET_KEYS, type TargetField, targetKey } from "../core/target-keys.ts";
import { parseYaml } from "../core/yaml.ts";

const url = z.url({ protocol: /^https?$/ });

/** The gateway under test, its credentials and fixtures. */
export const Target = z
  .object({
    gateway: url,
    apiKey: z.string().min(1),
    model: z.string().min(1),
    brokeKey: z.string().min(1).optional(),
    limitedKey: z.string().min(1).optional(),
    /** A second valid client key: idempotency keys and async tasks must stay scoped to their own client. */
    otherApiKey: z.string().min(1).optional(),
    /** A key limited to one request in flight: `concurrency.limited` (data-envelope's CONCURRENT_GENERATION_LIMIT). */
    concurrencyKey: z.string().min(1).optional(),
    disabledModel: z.string().min(1).optional(),
    /** The mock's base URL (control API at /_faultline); upstream suites are skipped without it. */
    mock: url.optional(),
    /** The gateway must answer within this long even when every provider hangs. */
    deadlineMs: z.number().int().positive().optional(),
    /**
     * Extra headers sent with every request. Values may use `{{mock.providers.alpha}}`-style templates,
     * rendered once per run when the mock is known (suites/templates.ts lists the variables).
     */
    headers: z.record(z.string(), z.string()).default({}),
    /** `none`: the gateway has no client authentication; the auth property then reports REJ-001 as its finding. */
    auth: z.enum(["key", "none"]).optional(),
    /** The chat endpoint's path on this gateway, when it differs from the profile's (`/<project>/openai/v1/chat/completions`). */
    chatPath: z.string().startsWith("/").optional(),
    /** Per mock provider, the credential the templates hand the gateway (`{{upstreamKey.alpha}}`); redacted like the client key. */
    upstreamKeys: z.record(z.string(), z.string().min(1)).optional(),
  })
  .strict();
export type Target = z.infer<typeof Target>;

/**
 * The client key a target with `auth: none` carries, so every property can still build its requests; the
 * gateway is not expected to check it (that is what REJ-001 then reports).
 */
export const NO_CLIENT_KEY = "faultline-no-client-auth";

/** `--header 'name: value'` → [name, value]. */
export function parseHeaderFlag(spec: string): [string, string] {
  const i = spec.indexOf(":");
  const name = i > 0 ? spec.slice(0, i).trim() : "";
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
    throw new UsageError(`--header: expected "name: value", saw "${spec}"`);
  }
  return [name.toLowerCase(), spec.slice(i + 1).trim()];
}

/**
 * Resolves the target: flags win over environment variables (FAULTLINE_GATEWAY, FAULTLINE_API_KEY, …),
 * which win over a config file (YAML or JSON with the same field names); target-keys.ts lists them.
 */
export function resolveTarget(
  flags: Partial<Record<TargetField, string | number | undefined>> & {
    config?: string;
    /** Headers from `--header` flags: they win over the config file's, name by name. */
    headers?: Record<string, string>;
  },
  env: NodeJS.ProcessEnv = process.env,
): Target {
  let fromFile: Record<string, unknown> = {};
  const configPath = flags.config ?? env.FAULTLINE_CONFIG;
  if (configPath) {
    if (!existsSync(configPath)) throw new UsageError(`--config: file not found: ${configPath}`);
    let raw: unknown;
    try {
      raw = parseYaml(readFileSync(configPath, "utf8"));
    } catch (e) {
      throw new UsageError(`--config ${configPath}: not valid YAML or JSON: ${(e as Error).message}`);
    }
    if (typeof raw !== "object" || raw === null)
      throw new UsageError(`--config ${configPath}: expected a mapping`);
    fromFile = raw as Record<string, unknown>;
  }
  const merged: Record<string, unknown> = { ...fromFile };
  for (const k of TARGET_KEYS) {
    const e = fromEnv(k, env);
    if (e !== undefined) merged[k.field] = e;
    const v = flags[k.field];
    if (v !== undefined) merged[k.field] = v;
  }
  if (flags.headers && Object.keys(flags.headers).length) {
    const fileHeaders = typeof merged.headers === "object" && merged.headers !== null ? merged.headers : {};
    const kept = Object.entries(fileHeaders).filter(([k]) => !(k.toLowerCase() in flags.headers!));
    merged.headers = { ...Object.fromEntries(kept), ...flags.headers };
  }
  if (merged.auth === "none" && (merged.apiKey === undefined || merged.apiKey === ""))
    merged.apiKey = NO_CLIENT_KEY;
  const parsed = Target.safeParse(merged);
  if (!parsed.success) {
    throw new UsageError(
      `invalid target:\n${describeZodError("target", parsed.error)}\n(set with flags such as --gateway, environment variables such as ${targetKey("gateway").env}, or --config FILE)`,
    );
  }
  return {
    ...parsed.data,
    gateway: parsed.data.gateway.replace(/\/$/, ""),
    mock: parsed.data.mock?.replace(/\/$/, ""),
  };
}

/** Header names whose values are credentials even when the target does not say so (`x-portkey-api-key`). */
export const CREDENTIAL_HEADER = /auth|key|token|secret|signature|credential|cookie|password/i;

/** The secret part of a credential header's value: `Bearer abc` → `abc`. */
function credentialValues(value: string): string[] {
  const m = /^(bearer|basic|token)\s+(.+)$/i.exec(value.trim());
  return m ? [value, m[2]!] : [value];
}

/** The client keys the harness sends: as given, and in the Basic form the auth property tries. */
function clientKeyForms(key: string | undefined): string[] {
  if (!key) return [];
  return [key, Buffer.from(`user:${key}`).toString("base64")];
}

/** The secrets nothing Faultline prints or writes may show: keys, provider keys, credential headers. */
export function targetSecrets(t: Target): string[] {
  return [
    ...SECRET_KEYS.flatMap((k) => clientKeyForms(t[k.field])),
    ...Object.values(t.upstreamKeys ?? {}),
    ...Object.entries(t.headers ?? {})
      .filter(([name]) => CREDENTIAL_HEADER.test(name))
      .flatMap(([, v]) => credentialValues(v)),
  ].filter((s): s is string => !!s);
}

/** The profile as this target sees it: its own chat path wins over the profile's. */
export function effectiveProfile(p: Profile, t: Target): Profile {
  if (!t.chatPath || t.chatPath === p.endpoints.chat.path) return p;
  return { ...p, endpoints: { ...p.endpoints, chat: { ...p.endpoints.chat, path: t.chatPath } } };
}
