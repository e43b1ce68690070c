import type { Command } from "commander";
import { UsageError } from "../../core/errors.ts";
import { loadProfile } from "../../core/profile/load.ts";
import { assertDefects, GATEWAY_DEFAULTS, startGateway, type Upstream } from "../../gateway/index.ts";
import { intOption, isLoopback, untilSignal } from "./options.ts";

const collect = (v: string, prev: string[] = []) => [...prev, v];

/**
 * `URL[,URL…]`, each optionally `name=URL`. Without a name, a mock provider URL names itself
 * (`http://127.0.0.1:4010/alpha/v1` → alpha).
 */
export function parseUpstreams(spec: string): Upstream[] {
  const names = new Set<string>();
  return spec.split(",").map((part, i) => {
    const m = /^([a-z][\w-]*)=(.+)$/i.exec(part.trim());
    const raw = m ? m[2]! : part.trim();
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new UsageError(
        `--upstreams[${i}]: expected an http(s) base URL like http://127.0.0.1:4010/alpha/v1, saw "${part}"`,
      );
    }
    if (!/^https?:$/.test(url.protocol)) {
      throw new UsageError(`--upstreams[${i}]: expected an http or https URL, saw "${url.protocol}"`);
    }
    const segments = url.pathname.split("/").filter(Boolean);
    const name =
      m?.[1] ?? (segments.at(-1) === "v1" && segments.length > 1 ? segments.at(-2)! : `upstream${i + 1}`);
    if (names.has(name))
      throw new UsageError(`--upstreams: the name "${name}" is given twice; write name=URL`);
    names.add(name);
    return { name, baseUrl: raw.replace(/\/+$/, "") };
  });
}

interface GatewayFlags {
  profile: string;
  upstreams: string;
  host: string;
  port: number;
  apiKey?: string[];
  brokeKey: string;
  limitedKey: string;
  model?: string[];
  disabledModel?: string[];
  attemptTimeoutMs: number;
  deadlineMs: number;
  defect?: string[];
  breakerThreshold?: number;
  breakerOpenMs?: number;
}

/** `--breaker-threshold N` turns the circuit breaker on; `--breaker-open-ms` alone is a mistake. */
export function breakerOf(o: Pick<GatewayFlags, "breakerThreshold" | "breakerOpenMs">) {
  if (o.breakerThreshold === undefined) {
    if (o.breakerOpenMs !== undefined)
      throw new UsageError(
        "--breaker-open-ms: expected it together with --breaker-threshold N, saw it alone",
      );
    return undefined;
  }
  return { failureThreshold: o.breakerThreshold, openMs: o.breakerOpenMs ?? DEFAULT_BREAKER_OPEN_MS };
}

const DEFAULT_BREAKER_OPEN_MS = 5_000;

export function registerGatewayCommand(program: Command): void {
  const d = GATEWAY_DEFAULTS;
  program
    .command("gateway")
    .description("run the reference gateway in front of OpenAI-dialect upstreams until SIGINT/SIGTERM")
    .requiredOption(
      "--profile <name|path>",
      "the contract to keep: a built-in profile name or a YAML/JSON file",
    )
    .requiredOption("--upstreams <urls>", "upstream base URLs in priority order: URL[,URL…] or name=URL")
    .option("--host <host>", "address to bind", d.host)
    .option("--port <port>", "port to bind (0 picks one)", intOption("--port", 0, 65535), 4020)
    .option(
      "--api-key <key>",
      `a client key to accept (repeatable; default ${d.apiKeys.join(", ")})`,
      collect,
    )
    .option("--broke-key <key>", "a key answered as insufficient balance", d.brokeKey)
    .option("--limited-key <key>", "a key answered as rate limited", d.limitedKey)
    .option(
      "--model <name>",
      `a model clients may ask for (repeatable; default ${d.models.join(", ")})`,
      collect,
    )
    .option(
      "--disabled-model <name>",
      `a model answered as disabled (repeatable; default ${d.disabledModels.join(", ")})`,
      collect,
    )
    .option(
      "--attempt-timeout-ms <n>",
      "time one provider attempt may take",
      intOption("--attempt-timeout-ms", 1, 600_000),
      d.attemptTimeoutMs,
    )
    .option(
      "--deadline-ms <n>",
      "time one request may take across all attempts",
      intOption("--deadline-ms", 1, 600_000),
      d.deadlineMs,
    )
    .option("--defect <id>", "a one-defect mutation to run (repeatable)", collect)
    .option(
      "--breaker-threshold <n>",
      "open a provider's circuit breaker after this many consecutive retryable failures (default: no breaker)",
      intOption("--breaker-threshold", 1, 1_000),
    )
    .option(
      "--breaker-open-ms <n>",
      `how long an open breaker skips its provider before one trial attempt (default ${DEFAULT_BREAKER_OPEN_MS})`,
      intOption("--breaker-open-ms", 1, 3_600_000),
    )
    .action(async (o: GatewayFlags) => {
      // Beyond loopback, the public default key would let anyone drive the gateway (and its upstreams):
      // like the mock's control token, a key of the user's own is required there.
      if (!isLoopback(o.host) && (!o.apiKey?.length || o.apiKey.some((k) => d.apiKeys.includes(k)))) {
        throw new UsageError(
          `--host ${o.host} binds beyond loopback; pass --api-key KEY with a key of your own (not the public default ${d.apiKeys.join(", ")}) so only holders of it can use the gateway`,
        );
      }
      const upstreams = parseUpstreams(o.upstreams);
      assertDefects(o.defect ?? [], "--defect");
      const breaker = breakerOf(o);
      const gateway = await startGateway({
        profile: loadProfile(o.profile),
        upstreams,
        host: o.host,
        port: o.port,
        apiKeys: o.apiKey,
        brokeKey: o.brokeKey,
        limitedKey: o.limitedKey,
        models: o.model,
        disabledModels: o.disabledModel,
        attemptTimeoutMs: o.attemptTimeoutMs,
        deadlineMs: o.deadlineMs,
        defects: o.defect,
        breaker,
        // A real process crashes for real: what `exit_on_stream_reset` does outside a test.
        onCrash: () => process.exit(70),
      }).catch((e: NodeJS.ErrnoException) => {
        if (e.code === "EADDRINUSE")
          throw new UsageError(`--port: ${o.host}:${o.port} is already in use; pick another or 0`);
        throw e;
      });
      process.stdout.write(`gateway  ${gateway.url}\n`);
      for (const u of upstreams) process.stdout.write(`upstream ${u.name.padEnd(9)} ${u.baseUrl}\n`);
      if (o.defect?.length) process.stdout.write(`defects  ${o.defect.join(", ")}\n`);
      if (breaker)
        process.stdout.write(
          `breaker  opens after ${breaker.failureThreshold} consecutive failures for ${breaker.openMs} ms\n`,
        );
      const signal = await untilSignal();
      process.stdout.write(`faultline gateway: ${signal}, closing\n`);
      await gateway.close();
    });
}
