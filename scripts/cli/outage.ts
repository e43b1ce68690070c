import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { UsageError } from "../../core/errors.ts";
import { loadProfile } from "../../core/profile/load.ts";
import type { Profile } from "../../core/profile/schema.ts";
import { TARGET_KEYS, type TargetField, type TargetKeyValues } from "../../core/target-keys.ts";
import { isOutageMutation, mutationIds, outageMutationIds } from "../../gateway/index.ts";
import { startOutageBuiltin } from "../../node/outage-builtin.ts";
import { prepareTarget } from "../../suites/harness/prepare.ts";
import { artilleryEngine } from "../../suites/outage/artillery.ts";
import { formatOutage } from "../../suites/outage/console.ts";
import { builtinEngine } from "../../suites/outage/driver.ts";
import { planOutage } from "../../suites/outage/phases.ts";
import { writeOutageReport } from "../../suites/outage/report.ts";
import type { OutageExit } from "../../suites/outage/result.ts";
import { type OutageResult, runOutage } from "../../suites/outage/run.ts";
import { sanitizer } from "../../suites/report/safe-text.ts";
import { parseHeaderFlag, resolveTarget, targetSecrets } from "../../suites/target.ts";
import { breakerOf } from "./gateway.ts";
import { intOption } from "./options.ts";
import { abortOnStopSignal } from "./run-support.ts";

/**
 * The target keys an outage run reads (core/target-keys.ts): it sends one clean request over and over, so
 * the fixture keys `run` needs for its client-side conditions (a broke key, a disabled model …) play no part.
 */
const OUTAGE_KEYS: ReadonlySet<TargetField> = new Set([
  "gateway",
  "mock",
  "apiKey",
  "model",
  "chatPath",
  "auth",
  "deadlineMs",
]);

export interface OutageFlags extends TargetKeyValues {
  scenario: string;
  profile: string;
  header?: string[];
  config?: string;
  rate: number;
  duration?: number;
  report?: string;
  seed?: number;
  strict?: boolean;
  engine?: string;
  /** Artillery's subcommand and its flags, e.g. `run-fargate --region eu-west-1 --count 4`. */
  artilleryArgs?: string;
  /** The address Artillery's workers reach the collector at (distributed runs). */
  collectorUrl?: string;
  collectorHost?: string;
  collectorPort?: number;
  defect?: string[];
  breakerThreshold?: number;
  breakerOpenMs?: number;
  quiet?: boolean;
}

export interface OutageOutcome {
  exitCode: OutageExit;
  output: string;
  result: OutageResult;
  profile: Profile;
  files?: { json: string; html: string };
}

/**
 * Runs one outage; `faultline outage` and the tests come through here. `signal` interrupts it: the phases
 * played so far are judged and reported, marked interrupted, and the exit code is 130 (SIGINT) or 143.
 */
export async function runOutageCommand(
  flags: OutageFlags,
  env: NodeJS.ProcessEnv = process.env,
  signal?: AbortSignal,
): Promise<OutageOutcome> {
  if (flags.gateway === "")
    throw new UsageError("--gateway: expected the gateway's URL, saw an empty string");
  let profile = loadProfile(flags.profile);
  const builtin =
    flags.gateway === undefined && !env.FAULTLINE_GATEWAY && !flags.config && !env.FAULTLINE_CONFIG;
  if (!builtin && (flags.defect?.length || flags.breakerThreshold !== undefined))
    throw new UsageError(
      "--defect and --breaker-* apply to the built-in reference gateway only; drop --gateway to use them",
    );
  for (const d of flags.defect ?? [])
    if (!isOutageMutation(d) && !mutationIds().includes(d))
      throw new UsageError(
        `--defect: unknown defect "${d}"; expected one of ${[...outageMutationIds(), ...mutationIds()].join(", ")}`,
      );
  const engine = flags.engine ?? "builtin";
  if (engine !== "builtin" && engine !== "artillery")
    throw new UsageError(`--engine: expected builtin or artillery, saw "${engine}"`);

  const lines: string[] = [];
  let clean = sanitizer([]);
  const say = (s: string) => {
    const safe = clean(s);
    lines.push(safe);
    if (!flags.quiet) process.stdout.write(`${safe}\n`);
  };
  const closers: Array<() => Promise<void>> = [];
  try {
    const targetFlags: Parameters<typeof resolveTarget>[0] = {
      config: flags.config,
      headers: Object.fromEntries((flags.header ?? []).map(parseHeaderFlag)),
    };
    for (const k of TARGET_KEYS) if (OUTAGE_KEYS.has(k.field)) targetFlags[k.field] = flags[k.field];
    if (builtin) {
      const setup = await startOutageBuiltin(profile, {
        defects: flags.defect,
        breaker: breakerOf(flags),
      });
      closers.push(() => setup.close());
      const t = setup.target;
      say(
        `faultline outage: built-in reference gateway ${t.gateway} (profile ${profile.name}${flags.defect?.length ? `, defects ${flags.defect.join(",")}` : ""}${flags.breakerThreshold !== undefined ? `, breaker after ${flags.breakerThreshold} failures` : ""}) in front of mock ${t.mock}`,
      );
      // The built-in servers' URLs and fixtures, where a flag does not give its own.
      for (const k of TARGET_KEYS) {
        if (k.field === "gateway" || k.field === "mock") targetFlags[k.field] = t[k.field];
        else if (OUTAGE_KEYS.has(k.field)) targetFlags[k.field] ??= t[k.field];
      }
    }
    let target = resolveTarget(targetFlags, builtin ? {} : env);
    clean = sanitizer(targetSecrets(target));
    if (!target.mock)
      throw new UsageError(
        "--mock: an outage run needs the mock, which plays the scenario (start it with `faultline mock`); saw none",
      );
    const prepared = await prepareTarget(target, profile, env.FAULTLINE_MOCK_TOKEN);
    ({ target, profile } = prepared);
    const plan = planOutage(flags.scenario, {
      providers: prepared.providers,
      durationS: flags.duration,
      seed: flags.seed,
    });
    const seed = flags.seed ?? plan.seed;
    say(
      `faultline outage: scenario ${plan.name} (${plan.phases.map((p) => p.name).join(" → ")}), ${flags.rate} requests/s for ${plan.totalMs / 1000} s, seed ${seed}`,
    );
    for (const n of plan.notes) say(`faultline outage: ${n}`);
    const gatewayDeadline = target.deadlineMs ?? profile.deadlineMs;
    const result = await runOutage({
      plan,
      profile,
      target: { ...target, mock: target.mock! },
      providers: prepared.providers,
      rate: flags.rate,
      engine:
        engine === "artillery"
          ? artilleryEngine({
              args: flags.artilleryArgs,
              collectorHost: flags.collectorHost,
              collectorPort: flags.collectorPort,
              collectorUrl: flags.collectorUrl,
              workDir: flags.report ?? "reports/outage",
              env,
            })
          : builtinEngine,
      seed,
      harnessDeadlineMs: gatewayDeadline + 2_000,
      mockToken: env.FAULTLINE_MOCK_TOKEN,
      strict: flags.strict,
      say,
      signal,
    });
    const dir = flags.report ?? "reports/outage";
    const runDefects = (flags.defect ?? []).filter((d) => !isOutageMutation(d));
    const files = writeOutageReport(dir, result, target, profile, {
      // A built-in run's gateway is gone when it ends: its cases replay against a new built-in one, with the
      // defects `faultline run` knows (the outage-only ones need traffic, not one case).
      replayArgs: builtin
        ? ` --profile ${flags.profile}${runDefects.length ? ` --defect ${runDefects.join(",")}` : ""}`
        : undefined,
    });
    say(formatOutage(result));
    say(`faultline outage: report written to ${files.json} and ${files.html}`);
    if (result.interrupted)
      say(
        `faultline outage: interrupted by ${result.interrupted.signal}: the partial report holds the phases played`,
      );
    return { exitCode: result.verdict.exitCode, output: lines.join("\n"), result, profile, files };
  } finally {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  }
}

const collect = (v: string, prev: string[] = []) => [...prev, ...v.split(",").filter(Boolean)];
const collectWhole = (v: string, prev: string[] = []) => [...prev, v];

function rateOption(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 100_000)
    throw new InvalidArgumentError(
      `--rate expected requests per second between 0 and 100000, saw "${value}"`,
    );
  return n;
}

function secondsOption(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 1 || n > 86_400)
    throw new InvalidArgumentError(`--duration expected seconds between 1 and 86400, saw "${value}"`);
  return n;
}

/** What a key means to an outage run, where the table's sentence is `run`'s. */
const OUTAGE_HELP: Partial<Record<TargetField, string>> = {
  mock: "the mock's base URL: it plays the scenario",
};

/** The target's options, from the table (core/target-keys.ts), as `run` has them. */
function addOutageTargetOptions(command: Command): Command {
  for (const k of TARGET_KEYS) {
    if (!OUTAGE_KEYS.has(k.field)) continue;
    const help = `${OUTAGE_HELP[k.field] ?? k.help} (env ${k.env})`;
    if ("range" in k) command.option(`${k.flag} <${k.arg}>`, help, intOption(k.flag, ...k.range));
    else command.option(`${k.flag} <${k.arg}>`, help);
  }
  return command;
}

export function registerOutageCommand(program: Command): void {
  const command = program
    .command("outage")
    .description(
      "drive open-loop traffic through a gateway while the mock plays an outage scenario; judge every answer, per phase, and the recovery",
    )
    .requiredOption(
      "--scenario <name|file>",
      "a built-in scenario (429-storm, provider-down, brownout, flapping, all-down, …) or a YAML/JSON file",
    );
  addOutageTargetOptions(command)
    .option("--profile <name|path>", "the gateway's contract", "lumenfall")
    .option("--header <name: value>", "an extra request header (repeatable)", collectWhole)
    .option("--config <file>", "a YAML/JSON file with the target's fields (env FAULTLINE_CONFIG)")
    .option("--rate <n>", "requests per second, open loop", rateOption, 50)
    .option(
      "--duration <s>",
      "the run's length in seconds; the scenario's phases are scaled to it (default: the scenario's own)",
      secondsOption,
    )
    .option("--report <dir>", "where outage.json, outage.html and case files go", "reports/outage")
    .option(
      "--seed <n>",
      "the scenario's seed and the prompt's (default: the scenario's)",
      intOption("--seed", 0, 2 ** 31 - 1),
    )
    .option("--strict", "should-level failures fail the run too")
    .option(
      "--engine <builtin|artillery>",
      "the load engine: the built-in open loop, or Artillery (installed separately)",
      "builtin",
    )
    .option(
      "--artillery-args <args>",
      'Artillery\'s command and flags (default "run"; e.g. "run-fargate --region eu-west-1 --count 4")',
    )
    .option(
      "--collector-host <host>",
      "where the sample collector listens for Artillery's workers (default 127.0.0.1)",
    )
    .option(
      "--collector-port <n>",
      "the collector's port (default: any free one)",
      intOption("--collector-port", 0, 65_535),
    )
    .option(
      "--collector-url <url>",
      "the collector's address as Artillery's workers reach it (distributed runs)",
    )
    .option("--defect <id>", "built-in mode: a one-defect gateway (repeatable)", collect)
    .option(
      "--breaker-threshold <n>",
      "built-in mode: give the reference gateway a circuit breaker that opens after n failures",
      intOption("--breaker-threshold", 1, 1_000),
    )
    .option(
      "--breaker-open-ms <n>",
      "built-in mode: how long the breaker stays open",
      intOption("--breaker-open-ms", 1, 3_600_000),
    )
    .action(async (o: OutageFlags) => {
      // SIGINT and SIGTERM stop the traffic; the partial report is written before the process ends.
      const stop = abortOnStopSignal();
      try {
        const outcome = await runOutageCommand(o, process.env, stop.signal);
        process.exit(outcome.exitCode);
      } finally {
        stop.disarm();
      }
    });
}
