import type { Command } from "commander";
import { dialectIds } from "../../mocks/dialects/index.ts";
import { DEFAULT_PROVIDERS, type ProviderConfig } from "../../mocks/engine.ts";
import { startMock } from "../../mocks/server.ts";
import type { DialectId } from "../../mocks/types.ts";
import { UsageError } from "../../suites/errors.ts";
import { intOption, untilSignal } from "./options.ts";

/** `alpha,beta` or `alpha=openai,beta=anthropic`. */
export function parseProviders(spec: string): ProviderConfig[] {
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
    const defaults = DEFAULT_PROVIDERS[0]!.models;
    return { name, dialect: d as DialectId, models: defaults };
  });
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
      "--control-token <token>",
      "require this bearer token on the control API (use when binding beyond loopback)",
    )
    .action(async (o: { host: string; port: number; providers: string; controlToken?: string }) => {
      const providers = parseProviders(o.providers);
      const mock = await startMock({ host: o.host, port: o.port, providers, token: o.controlToken });
      for (const p of providers)
        process.stdout.write(`${p.name.padEnd(8)} ${p.dialect.padEnd(9)} ${mock.providerUrl(p.name)}\n`);
      process.stdout.write(`control  ${mock.url}/_faultline/health\n`);
      const signal = await untilSignal();
      process.stdout.write(`faultline mock: ${signal}, closing\n`);
      await mock.close();
    });
}
