// One table of target keys (core/target-keys.ts): every key has a flag, an environment variable and a
// field in a target file, and the CLI's options, the environment lookup, redaction, the case file's secret
// slots and the variables printed commands use all come from it.
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { SECRET_FIELDS, TARGET_KEYS } from "../core/target-keys.ts";
import { builtinTarget } from "../node/builtin.ts";
import { registerReplayCommand } from "../scripts/cli/replay.ts";
import { registerRunCommand } from "../scripts/cli/run.ts";
import { fillSecretText, slotSource } from "../suites/case-file.ts";
import { secretEnvRefs } from "../suites/report/curl.ts";
import { SECRET_SLOTS, templateSecrets } from "../suites/report/files.ts";
import { resolveTarget, Target, targetSecrets } from "../suites/target.ts";

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();

/** A value each key accepts, as a flag or variable gives it. */
function sample(k: (typeof TARGET_KEYS)[number]): string {
  if (k.type === "url") return `http://127.0.0.1:${k.field === "gateway" ? 8080 : 4010}`;
  if (k.type === "int") return "1500";
  if (k.field === "auth") return "none";
  if (k.field === "chatPath") return "/acme/v1/chat/completions";
  return `value-of-${k.field}-0001`;
}

function options(register: (p: Command) => void, name: string): Map<string, string> {
  const program = new Command();
  register(program);
  const cmd = program.commands.find((c) => c.name() === name)!;
  return new Map(cmd.options.map((o) => [o.long!, o.description]));
}

describe("the table of target keys", () => {
  it("gives every key a flag, an environment variable and a field of the target file, named alike", () => {
    const fields = Object.keys(Target.shape);
    for (const k of TARGET_KEYS) {
      expect(fields, k.field).toContain(k.field);
      expect(k.flag).toBe(`--${kebab(k.field)}`);
      expect(k.env).toBe(`FAULTLINE_${snake(k.field)}`);
    }
    expect(new Set(TARGET_KEYS.map((k) => k.field)).size).toBe(TARGET_KEYS.length);
  });

  it("is what `faultline run` and `faultline replay` offer, each option naming its variable", () => {
    const run = options(registerRunCommand, "run");
    const replay = options(registerReplayCommand, "replay");
    for (const k of TARGET_KEYS) {
      expect(run.get(k.flag), k.flag).toContain(`(env ${k.env})`);
      if (k.replay) expect(replay.get(k.flag), k.flag).toContain(`(env ${k.env})`);
      else expect(replay.has(k.flag), k.flag).toBe(false);
    }
  });

  it("is how the target reads the environment: each variable sets its key, a flag wins", () => {
    const env = Object.fromEntries(TARGET_KEYS.map((k) => [k.env, sample(k)]));
    const t = resolveTarget({}, env) as Record<string, unknown>;
    for (const k of TARGET_KEYS) expect(t[k.field], k.env).toBe(k.type === "int" ? 1500 : sample(k));
    expect(resolveTarget({ model: "from-flag" }, env).model).toBe("from-flag");
  });

  it("is what redaction, case-file slots and printed commands know as secrets", () => {
    const secrets = TARGET_KEYS.filter((k) => k.secret);
    expect(secrets.map((k) => k.field)).toEqual([...SECRET_FIELDS]);
    expect([...SECRET_SLOTS]).toEqual([...SECRET_FIELDS]);
    const t = resolveTarget(
      {},
      Object.fromEntries(TARGET_KEYS.filter((k) => k.field !== "auth").map((k) => [k.env, sample(k)])),
    );
    const refs = new Map(secretEnvRefs(t));
    for (const k of secrets) {
      const v = sample(k);
      expect(targetSecrets(t), k.field).toContain(v);
      expect(refs.get(v), k.field).toBe(k.env);
      // A case file holds the slot, and replay fills it back from that key alone.
      const slotted = templateSecrets(`{"key":"${v}"}`, t);
      expect(slotted).toBe(`{"key":"{{${k.field}}}"}`);
      expect(fillSecretText(slotted, { [k.field]: v }, {})).toBe(`{"key":"${v}"}`);
      expect(() => fillSecretText(slotted, {}, {})).toThrow(slotSource(k.field));
      expect(slotSource(k.field)).toBe(`set ${k.env} (or pass ${k.flag})`);
    }
    for (const k of TARGET_KEYS.filter((x) => !x.secret)) expect(targetSecrets(t)).not.toContain(sample(k));
  });

  it("gives the built-in target each key's built-in value", () => {
    const t = builtinTarget("http://127.0.0.1:1", "http://127.0.0.1:2") as Record<string, unknown>;
    for (const k of TARGET_KEYS) {
      if ("builtin" in k) expect(t[k.field], k.field).toBeDefined();
      else expect(t[k.field], k.field).toBeUndefined();
    }
    expect(Target.safeParse(t).success).toBe(true);
  });
});
