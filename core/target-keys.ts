/**
 * The target's keys, one row each: the flag that sets it, its environment variable, its field in a target
 * file (`--config`), whether it is a secret, and what the built-in reference gateway supplies. The CLI's
 * options, the environment lookup, redaction, the case file's secret slots (`{{apiKey}}`) and the
 * `"$FAULTLINE_API_KEY"` references in printed commands are all read from this one table, so a new key is
 * one new row. Headers (`--header`, `headers:`) and provider keys (`upstreamKeys:`) are maps, not keys.
 */

/** What built-in mode supplies: the reference gateway's fixtures and the servers it started. */
export interface BuiltinDefaults {
  gatewayUrl: string;
  mockUrl: string;
  apiKeys: readonly string[];
  models: readonly string[];
  brokeKey: string;
  limitedKey: string;
  otherApiKey: string;
  concurrencyKey: string;
  disabledModels: readonly string[];
  deadlineMs: number;
}

export interface TargetKey {
  /** The field in a target file and in the resolved target. */
  field: string;
  /** The command-line flag (`--api-key`) and the name of its argument in `--help`. */
  flag: `--${string}`;
  arg: string;
  /** The environment variable (`FAULTLINE_API_KEY`), read when the flag is not given. */
  env: `FAULTLINE_${string}`;
  /** Redacted everywhere, a `{{slot}}` in case files, an environment reference in printed commands. */
  secret: boolean;
  /** How the flag's and the variable's text is read. */
  type: "url" | "text" | "int";
  /** For `int`: the accepted range. */
  range?: readonly [number, number];
  /** `faultline replay` takes it too (the case file carries the rest). */
  replay: boolean;
  help: string;
  /** The value built-in mode supplies; none: the key stays unset there. */
  builtin?: (d: BuiltinDefaults) => string | number | undefined;
}

export const TARGET_KEYS = [
  {
    field: "gateway",
    flag: "--gateway",
    arg: "url",
    env: "FAULTLINE_GATEWAY",
    secret: false,
    type: "url",
    replay: true,
    help: "the gateway under test; none: the built-in reference gateway",
    builtin: (d) => d.gatewayUrl,
  },
  {
    field: "mock",
    flag: "--mock",
    arg: "url",
    env: "FAULTLINE_MOCK",
    secret: false,
    type: "url",
    replay: true,
    help: "the mock's base URL; upstream suites (and replays of cases with a plan) need it",
    builtin: (d) => d.mockUrl,
  },
  {
    field: "apiKey",
    flag: "--api-key",
    arg: "key",
    env: "FAULTLINE_API_KEY",
    secret: true,
    type: "text",
    replay: true,
    help: "a valid client key",
    builtin: (d) => d.apiKeys[0],
  },
  {
    field: "model",
    flag: "--model",
    arg: "model",
    env: "FAULTLINE_MODEL",
    secret: false,
    type: "text",
    replay: false,
    help: "a model the gateway routes to the mock's providers",
    builtin: (d) => d.models[0],
  },
  {
    field: "brokeKey",
    flag: "--broke-key",
    arg: "key",
    env: "FAULTLINE_BROKE_KEY",
    secret: true,
    type: "text",
    replay: true,
    help: "a key with no balance",
    builtin: (d) => d.brokeKey,
  },
  {
    field: "limitedKey",
    flag: "--limited-key",
    arg: "key",
    env: "FAULTLINE_LIMITED_KEY",
    secret: true,
    type: "text",
    replay: true,
    help: "a key that is over its rate limit",
    builtin: (d) => d.limitedKey,
  },
  {
    field: "otherApiKey",
    flag: "--other-api-key",
    arg: "key",
    env: "FAULTLINE_OTHER_API_KEY",
    secret: true,
    type: "text",
    replay: true,
    help: "a second valid client key, for idempotency and task scoping",
    builtin: (d) => d.otherApiKey,
  },
  {
    field: "concurrencyKey",
    flag: "--concurrency-key",
    arg: "key",
    env: "FAULTLINE_CONCURRENCY_KEY",
    secret: true,
    type: "text",
    replay: true,
    help: "a key limited to one request in flight",
    builtin: (d) => d.concurrencyKey,
  },
  {
    field: "disabledModel",
    flag: "--disabled-model",
    arg: "model",
    env: "FAULTLINE_DISABLED_MODEL",
    secret: false,
    type: "text",
    replay: false,
    help: "a model that exists but is disabled",
    builtin: (d) => d.disabledModels[0],
  },
  {
    field: "deadlineMs",
    flag: "--deadline-ms",
    arg: "n",
    env: "FAULTLINE_DEADLINE_MS",
    secret: false,
    type: "int",
    range: [1, 600_000],
    replay: true,
    help: "the gateway must answer within this long, even when every provider hangs (default: the profile's)",
    builtin: (d) => d.deadlineMs,
  },
  {
    field: "chatPath",
    flag: "--chat-path",
    arg: "path",
    env: "FAULTLINE_CHAT_PATH",
    secret: false,
    type: "text",
    replay: false,
    help: "the gateway's chat path, when it differs from the profile's",
  },
  {
    field: "auth",
    flag: "--auth",
    arg: "key|none",
    env: "FAULTLINE_AUTH",
    secret: false,
    type: "text",
    replay: false,
    help: "none: the gateway has no client authentication",
  },
] as const satisfies readonly TargetKey[];

export type TargetField = (typeof TARGET_KEYS)[number]["field"];
type SecretRow = Extract<(typeof TARGET_KEYS)[number], { secret: true }>;
export type SecretField = SecretRow["field"];

/** The secret keys, in table order: the client key first. */
export const SECRET_KEYS: readonly SecretRow[] = TARGET_KEYS.filter((k): k is SecretRow => k.secret);
export const SECRET_FIELDS: readonly SecretField[] = SECRET_KEYS.map((k) => k.field);

/** The target keys as flags take them: text, or a number for `int` keys. */
export type TargetKeyValues = { [F in TargetField]?: F extends "deadlineMs" ? number : string };

/** The row of a field. */
export function targetKey(field: TargetField): TargetKey {
  return TARGET_KEYS.find((k) => k.field === field)!;
}

/** Where a key's value comes from, for messages: `set FAULTLINE_API_KEY (or pass --api-key)`. */
export function keySource(field: TargetField): string {
  const k = targetKey(field);
  return `set ${k.env} (or pass ${k.flag})`;
}

/** A key's value from the environment, read as its type; unset or empty is none. */
export function fromEnv(k: TargetKey, env: NodeJS.ProcessEnv): string | number | undefined {
  const v = env[k.env];
  if (v === undefined || v === "") return undefined;
  return k.type === "int" ? Number(v) : v;
}
