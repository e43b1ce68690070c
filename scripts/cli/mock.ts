import type { Command } from "commander";
import { dialectIds } from "../../mocks/dialects/index.ts";
import { DEFAULT_MODELS, type ProviderConfig } from "../../mocks/engine.ts";
import { describeScenarioEvent } from "../../mocks/scenario.ts";
import { loadScenarioFile, type Scenario, ScenarioError } from "../../mocks/scenario-schema.ts";
import { startMock } from "../../mocks/server.ts";
import type { DialectId } from "../../mocks/types.ts";
import { UsageError } from "../../suites/errors.ts";
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
  scenario?: string;
  seed?: number;
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
      "require this bearer token on the control API (use when binding beyond loopback)",
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
      // The control API can reshape every answer the mock gives: beyond loopback it must be protected.
      if (!isLoopback(o.host) && !o.controlToken) {
        throw new UsageError(
          `--host ${o.host} binds beyond loopback; pass --control-token TOKEN so only holders of the token can change plans`,
        );
      }
      const providers = parseProviders(o.providers, o.models);
      const scenario = scenarioFromFlags(o, providers);
      const mock = await startMock({
        host: o.host,
        port: o.port,
        providers,
        token: o.controlToken,
        onScenarioEvent: (e) => process.stdout.write(`${describeScenarioEvent(e)}\n`),
      });
      for (const p of providers)
        process.stdout.write(`${p.name.padEnd(8)} ${p.dialect.padEnd(9)} ${mock.providerUrl(p.name)}\n`);
      process.stdout.write(`control  ${mock.url}/_faultline/health\n`);
      // Started after the URLs are printed so the first phase line follows them.
      if (scenario) mock.scenarios.play(scenario);
      const signal = await untilSignal();
      process.stdout.write(`faultline mock: ${signal}, closing\n`);
      await mock.close();
    });
}
