import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { hashSeed } from "../core/rng.ts";
import { yamlDepthOver } from "../core/yaml.ts";
import { once, yaml, zod } from "./lazy.ts";
import { bytes, checkDepth, DEFAULT_LIMITS, LimitError, type MockLimits } from "./limits.ts";
import { checkStepCount, normalisePolicy, PlanError, type ProviderPolicy, RESERVED_NAMES } from "./plan.ts";

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
  /** 413 when the scenario went past a size limit; 400 otherwise. */
  readonly status: 400 | 413;
  /** The limit it went past, if that is why. */
  readonly limit?: string;
  constructor(message: string, cause?: LimitError) {
    super(message);
    this.status = cause?.status ?? 400;
    this.limit = cause?.limit;
  }
}

const ScenarioInput = once(() => {
  const { z } = zod();
  return z
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
});

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
  /** Size, nesting and step limits (defaults: DEFAULT_LIMITS). */
  limits?: Pick<MockLimits, "maxScenarioBytes" | "maxJsonDepth" | "maxPlanSteps">;
}

/** Refuses reserved provider keys and phases with too many steps, reading the raw phases before zod does. */
function checkRawPhases(raw: unknown, maxPlanSteps: number): void {
  const phases = (raw as { phases?: unknown } | null)?.phases;
  if (!Array.isArray(phases)) return;
  phases.forEach((ph, i) => {
    const providers = (ph as { providers?: unknown } | null)?.providers;
    if (!providers || typeof providers !== "object" || Array.isArray(providers)) return;
    for (const name of Object.keys(providers)) {
      if (RESERVED_NAMES.has(name))
        throw new ScenarioError(
          `${fieldPath(`scenario.phases[${i}].providers`, [name])}: not a provider name; expected a provider name or "${ANY_PROVIDER}"`,
        );
    }
    try {
      checkStepCount(providers as Record<string, unknown>, maxPlanSteps, `scenario.phases[${i}].providers`);
    } catch (e) {
      if (e instanceof LimitError) throw new ScenarioError(e.message, e);
      throw e;
    }
  });
}

/** Validates a scenario already parsed from YAML or JSON. */
export function parseScenario(raw: unknown, opts: ScenarioOptions = {}): Scenario {
  checkRawPhases(raw, (opts.limits ?? DEFAULT_LIMITS).maxPlanSteps);
  const parsed = ScenarioInput().safeParse(raw);
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

/**
 * Validates scenario text; YAML is a superset of JSON, so both are accepted. Size and nesting are
 * checked first: parsing YAML costs about 2 ms per KiB on a busy machine, with nothing else answered
 * meanwhile, so a JSON text (one byte in, `{`) takes the fast JSON parser instead.
 */
export function parseScenarioText(text: string, opts: ScenarioOptions = {}, source = "scenario"): Scenario {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const size = Buffer.byteLength(text);
  if (size > limits.maxScenarioBytes) {
    throw new ScenarioError(
      `${source} is ${size} bytes; the limit is ${bytes(limits.maxScenarioBytes)} (maxScenarioBytes)`,
      new LimitError(413, "maxScenarioBytes", ""),
    );
  }
  try {
    checkDepth(text, { ...DEFAULT_LIMITS, ...limits }, source);
  } catch (e) {
    if (e instanceof LimitError) throw new ScenarioError(e.message, e);
    throw e;
  }
  let raw: unknown;
  let jsonError: Error | undefined;
  if (/^\s*\{/.test(text)) {
    try {
      raw = JSON.parse(text);
    } catch (e) {
      // Not JSON after all (a YAML flow mapping starts with `{` too): the YAML parser has the last word.
      jsonError = e as Error;
    }
  }
  if (raw === undefined) {
    const maxDepth = limits.maxJsonDepth ?? DEFAULT_LIMITS.maxJsonDepth;
    // The YAML parser recurses once per level and a deep text can kill the process (core/yaml.ts):
    // the nesting is measured on its tokens first, with YAML's block levels counted too.
    if (yamlDepthOver(text, maxDepth)) {
      const message = `${source}: nested deeper than ${maxDepth} levels of sequences and mappings (limit maxJsonDepth)`;
      throw new ScenarioError(message, new LimitError(400, "maxJsonDepth", message));
    }
    try {
      raw = yaml().parse(text);
    } catch (e) {
      throw new ScenarioError(`${source} is not valid YAML or JSON: ${(jsonError ?? (e as Error)).message}`);
    }
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
  const max = (opts.limits ?? DEFAULT_LIMITS).maxScenarioBytes;
  const size = statSync(file).size;
  // Refused before reading: a scenario file is a few KiB, and a huge one would stall the mock.
  if (size > max)
    throw new ScenarioError(
      `scenario file ${file} is ${size} bytes; the limit is ${bytes(max)} (maxScenarioBytes)`,
    );
  try {
    return parseScenarioText(readFileSync(file, "utf8"), opts, file);
  } catch (e) {
    if (e instanceof ScenarioError) throw new ScenarioError(`invalid scenario ${ref}:\n${e.message}`);
    throw e;
  }
}
