import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { normalisePolicy, PlanError, type ProviderPolicy } from "./plan.ts";
import { hashSeed } from "./rng.ts";

export const SCENARIO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../fixtures/scenarios");

/** The key that gives every provider a phase does not name. */
export const ANY_PROVIDER = "*";

export interface ScenarioPhase {
  name: string;
  durationMs: number;
  /** Per provider (or `*`), a policy exactly as plans write it. Providers not covered answer `ok`. */
  providers: Record<string, ProviderPolicy>;
}

/** A time-phased default plan for the whole mock: an outage to reproduce. */
export interface Scenario {
  name: string;
  description: string;
  seed: number;
  /** Start again from the first phase after the last; otherwise the scenario ends and all answer `ok`. */
  loop: boolean;
  phases: ScenarioPhase[];
}

/** Scenario errors name the field: `scenario.phases[2].providers.beta[0]: unknown step "x"; …`. */
export class ScenarioError extends Error {
  override name = "ScenarioError";
}

const ScenarioInput = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][\w.-]{0,63}$/, "expected a short name (letters, digits, - _ .)"),
    description: z.string().min(1).max(2000),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .optional(),
    loop: z.boolean().optional(),
    phases: z
      .array(
        z
          .object({
            name: z.string().min(1).max(100),
            durationMs: z.number().int().min(1).max(86_400_000),
            providers: z
              .record(
                z.string().regex(/^(\*|[a-z][a-z0-9_-]{0,31})$/, 'expected a provider name or "*"'),
                z.unknown(),
              )
              .optional(),
          })
          .strict(),
      )
      .min(1)
      .max(200),
  })
  .strict();

/** `scenario.phases[2].providers.beta`, with brackets for indices and keys that are not identifiers. */
export function fieldPath(prefix: string, path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((acc, k) => {
    if (typeof k === "number") return `${acc}[${k}]`;
    const s = String(k);
    return /^[A-Za-z_][\w-]*$/.test(s) ? `${acc}.${s}` : `${acc}[${JSON.stringify(s)}]`;
  }, prefix);
}

export interface ScenarioOptions {
  /** The mock's providers; when given, a phase naming another provider is an error. */
  providers?: string[];
  /** Overrides the file's seed (`--seed`). */
  seed?: number;
}

/** Validates a scenario already parsed from YAML or JSON. */
export function parseScenario(raw: unknown, opts: ScenarioOptions = {}): Scenario {
  const parsed = ScenarioInput.safeParse(raw);
  if (!parsed.success) {
    throw new ScenarioError(
      parsed.error.issues
        .map((i) => {
          // A bad provider key comes wrapped as "Invalid key in record"; its own message says why.
          const why = i.code === "invalid_key" ? (i.issues[0]?.message ?? i.message) : i.message;
          return `${fieldPath("scenario", i.path)}: ${why}`;
        })
        .join("\n"),
    );
  }
  const input = parsed.data;
  const phases = input.phases.map((ph, i): ScenarioPhase => {
    const providers: Record<string, ProviderPolicy> = {};
    for (const [name, policy] of Object.entries(ph.providers ?? {})) {
      const where = fieldPath(`scenario.phases[${i}].providers`, [name]);
      if (opts.providers && name !== ANY_PROVIDER && !opts.providers.includes(name)) {
        throw new ScenarioError(
          `${where}: unknown provider; expected one of ${opts.providers.join(", ")} or "${ANY_PROVIDER}"`,
        );
      }
      try {
        providers[name] = normalisePolicy(policy, where);
      } catch (e) {
        if (e instanceof PlanError) throw new ScenarioError(e.message);
        throw e;
      }
    }
    return { name: ph.name, durationMs: ph.durationMs, providers };
  });
  return {
    name: input.name,
    description: input.description,
    seed: opts.seed ?? input.seed ?? hashSeed(input.name),
    loop: input.loop ?? false,
    phases,
  };
}

/** Validates scenario text; YAML is a superset of JSON, so both are accepted. */
export function parseScenarioText(text: string, opts: ScenarioOptions = {}, source = "scenario"): Scenario {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new ScenarioError(`${source} is not valid YAML or JSON: ${(e as Error).message}`);
  }
  return parseScenario(raw, opts);
}

/** The scenarios shipped in fixtures/scenarios. */
export function builtinScenarios(): string[] {
  return ["429-storm", "provider-down", "brownout", "flapping", "content-policy-wave", "all-down"].filter(
    (n) => existsSync(join(SCENARIO_DIR, `${n}.yaml`)),
  );
}

/** Loads a built-in scenario by name or a scenario file by path. */
export function loadScenarioFile(ref: string, opts: ScenarioOptions = {}): Scenario {
  const isPath = /[/\\]|\.(ya?ml|json)$/.test(ref);
  const file = isPath ? resolve(ref) : join(SCENARIO_DIR, `${ref}.yaml`);
  if (!existsSync(file)) {
    throw new ScenarioError(
      isPath
        ? `scenario file not found: ${file}`
        : `unknown scenario "${ref}"; expected one of ${builtinScenarios().join(", ")} or a path to a YAML/JSON file`,
    );
  }
  try {
    return parseScenarioText(readFileSync(file, "utf8"), opts, file);
  } catch (e) {
    if (e instanceof ScenarioError) throw new ScenarioError(`invalid scenario ${ref}:\n${e.message}`);
    throw e;
  }
}
