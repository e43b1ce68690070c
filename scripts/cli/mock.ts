import type { Command } from "commander";
import { UsageError } from "../../core/errors.ts";
import { MIN_SECRET_LENGTH } from "../../core/redact.ts";
import { dialectIds } from "../../mocks/dialects/index.ts";
import { DEFAULT_MODELS, type ProviderConfig } from "../../mocks/engine.ts";
import { LimitError } from "../../mocks/limits.ts";
import { RESERVED_NAMES } from "../../mocks/plan.ts";
import { describeScenarioEvent } from "../../mocks/scenario.ts";
import { loadScenarioFile, type Scenario, ScenarioError } from "../../mocks/scenario-schema.ts";
import { startMock } from "../../mocks/server.ts";
import type { DialectId } from "../../mocks/types.ts";
import { intOption, isLoopback, untilSignal } from "./options.ts";

/**
 * `alpha,beta` or `alpha=openai,beta=anthropic`. Each provider serves its dialect's default models,
 * or `models` (`*` serves any model name).
 */
export function parseProviders(spec: string, models?: string): ProviderConfig[] {
  const served = models
    ?.split(",")
    .map((m) => m.trim())
    .filter(Boolean);
  if (models !== undefined && !served?.length)
    throw new UsageError(`--models: expected model names or *, saw "${models}"`);
  const names = new Set<string>();
  return spec.split(",").map((part, i) => {
    const [name, d = "openai"] = part.trim().split("=");
    if (!name || !/^[a-z][a-z0-9_-]{0,31}$/.test(name)) {
      throw new UsageError(`--providers[${i}]: expected a lower-case provider name, saw "${part}"`);
    }
    if (RESERVED_NAMES.has(name))
      throw new UsageError(`--providers[${i}]: "${name}" is a reserved word; pick another provider name`);
    if (names.has(name)) throw new UsageError(`--providers: "${name}" is given twice`);
    names.add(name);
    if (!dialectIds().includes(d as DialectId)) {
      throw new UsageError(
        `--providers[${i}] (${name}): unknown dialect "${d}"; expected one of ${dialectIds().join(", ")}`,
      );
    }
    return { name, dialect: d as DialectId, models: served ?? DEFAULT_MODELS[d as DialectId] };
  });
}

interface MockFlags {
  host: string;
  port: number;
  providers: string;
  models?: string;
  controlToken?: string;
  secret?: string[];
  scenario?: string;
  seed?: number;
}

/**
 * The control token: `--control-token`, else FAULTLINE_CONTROL_TOKEN, else FAULTLINE_MOCK_TOKEN (the
 * name the harness reads to call a protected mock, so one variable can serve both sides).
 */
export function controlTokenOf(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): { token?: string; from?: string } {
  for (const [token, from] of [
    [flag, "--control-token"],
    [env.FAULTLINE_CONTROL_TOKEN, "FAULTLINE_CONTROL_TOKEN"],
    [env.FAULTLINE_MOCK_TOKEN, "FAULTLINE_MOCK_TOKEN"],
  ] as const) {
    if (token === undefined || token === "") continue;
    if (token.length < 16)
      throw new UsageError(`${from}: expected a token of at least 16 characters, saw ${token.length}`);
    return { token, from };
  }
  return {};
}

/** Secrets the journal redacts: every `--secret`, and FAULTLINE_SECRETS split at commas. */
export function secretsOf(flags: string[] = [], env: NodeJS.ProcessEnv = process.env): string[] {
  const fromEnv = (env.FAULTLINE_SECRETS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const all = [
    ...flags.map((s, i) => [s, `--secret[${i}]`] as const),
    ...fromEnv.map((s, i) => [s, `FAULTLINE_SECRETS[${i}]`] as const),
  ];
  for (const [s, from] of all) {
    if (s.length < MIN_SECRET_LENGTH) {
      throw new UsageError(
        `${from}: expected a secret of at least ${MIN_SECRET_LENGTH} characters (shorter ones would black out ordinary text), saw ${s.length}`,
      );
    }
  }
  return all.map(([s]) => s);
}

/** Loads `--scenario` against the mock's providers; a bad file is bad usage (exit 2). */
export function scenarioFromFlags(o: MockFlags, providers: ProviderConfig[]): Scenario | undefined {
  if (o.scenario === undefined) {
    if (o.seed !== undefined)
      throw new UsageError("--seed seeds a scenario's random choices; give --scenario too");
    return undefined;
  }
  try {
    return loadScenarioFile(o.scenario, { providers: providers.map((p) => p.name), seed: o.seed });
  } catch (e) {
    if (e instanceof ScenarioError) throw new UsageError(`--scenario: ${e.message}`);
    throw e;
  }
}

export function registerMockCommand(program: Command): void {
  program
    .command("mock")
    .description("run the mock upstream until SIGINT/SIGTERM")
    .option("--host <host>", "address to bind", "127.0.0.1")
    .option("--port <port>", "port to bind (0 picks one)", intOption("--port", 0, 65535), 4010)
    .option(
      "--providers <list>",
      "providers and their dialects: alpha,beta or alpha=openai,beta=anthropic",
      "alpha,beta,gamma",
    )
    .option(
      "--models <list>",
      "models every provider serves (default: its dialect's, e.g. gpt-4o-mini; * serves any); others get the provider's 404",
    )
    .option(
      "--control-token <token>",
      "require this bearer token on the control API (env FAULTLINE_CONTROL_TOKEN or FAULTLINE_MOCK_TOKEN; needed beyond loopback)",
    )
    .option(
      "--secret <value>",
      "a value the journal redacts wherever it appears (repeatable; env FAULTLINE_SECRETS, comma-separated)",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option(
      "--scenario <file|name>",
      "play a scenario: a YAML/JSON file or a built-in name (429-storm, provider-down, brownout, …)",
    )
    .option(
      "--seed <n>",
      "seed for the scenario's random choices (overrides the file's seed)",
      intOption("--seed", 0, 2 ** 32 - 1),
    )
    .action(async (o: MockFlags) => {
      const { token, from } = controlTokenOf(o.controlToken);
      // The control API can reshape every answer the mock gives: beyond loopback it must be protected.
      if (!isLoopback(o.host) && !token) {
        throw new UsageError(
          `--host ${o.host} binds beyond loopback; pass --control-token TOKEN (or set FAULTLINE_CONTROL_TOKEN) so only holders of the token can change plans`,
        );
      }
      const secrets = secretsOf(o.secret);
      const providers = parseProviders(o.providers, o.models);
      const scenario = scenarioFromFlags(o, providers);
      const mock = await startMock({
        host: o.host,
        port: o.port,
        providers,
        token,
        secrets,
        onScenarioEvent: (e) => process.stdout.write(`${describeScenarioEvent(e)}\n`),
      }).catch((e: NodeJS.ErrnoException) => {
        if (e.code === "EADDRINUSE")
          throw new UsageError(`--port: ${o.host}:${o.port} is already in use; pick another or 0`);
        // The engine holds the limit; the flags are what the user can change.
        if (e instanceof LimitError && e.limit === "maxSecrets")
          throw new UsageError(`--secret and FAULTLINE_SECRETS: ${e.message}`);
        throw e;
      });
      // Each provider with the models it serves: a gateway sending another model gets the provider's
      // 404, and the journal says which model was refused.
      for (const p of providers) {
        const models = p.models.includes("*") ? "any model" : p.models.join(", ");
        process.stdout.write(`${p.name.padEnd(8)} ${p.dialect.padEnd(9)} ${mock.providerUrl(p.name)}\n`);
        process.stdout.write(`${"".padEnd(18)} models: ${models}\n`);
      }
      process.stdout.write(`control  ${mock.url}/_faultline/health\n`);
      process.stdout.write(`metrics  ${mock.url}/_faultline/metrics\n`);
      // Where the token came from, never the token itself.
      if (token) process.stdout.write(`token    required on the control API (from ${from})\n`);
      if (secrets.length) process.stdout.write(`secrets  ${secrets.length} redacted in the journal\n`);
      // Started after the URLs are printed so the first phase line follows them.
      if (scenario) mock.scenarios.play(scenario);
      const signal = await untilSignal();
      process.stdout.write(`faultline mock: ${signal}, closing\n`);
      await mock.close();
    });
}
