// `faultline run`: flags in, the engine (node/run.ts) runs, its lines and progress printed, its exit code out.
import type { Command } from "commander";
import { runHarness as engine, type HarnessOutcome, type RunFlags, type RunHooks } from "../../node/run.ts";
import { paintSummary } from "../../suites/report/colour.ts";
import { addTargetOptions, intOption } from "./options.ts";
import { progressPrinter } from "./progress.ts";
import { abortOnStopSignal } from "./run-support.ts";

export type { HarnessOutcome, RunFlags, RunHooks } from "../../node/run.ts";

/** A line of the run on stdout; colour goes on after the engine's sanitizer, so its escapes are the only ones. */
const printLine = (line: string) => process.stdout.write(`${paintSummary(line)}\n`);

/**
 * The engine as scripts and tests that drive runs in-process (mutation, benchmarks, interop) use it:
 * its lines printed as they come unless `quiet`.
 */
export function runHarness(
  flags: RunFlags,
  env: NodeJS.ProcessEnv = process.env,
  hooks: RunHooks = {},
): Promise<HarnessOutcome> {
  return engine(flags, env, { ...hooks, onLine: hooks.onLine ?? (flags.quiet ? undefined : printLine) });
}

/** Runs with the CLI's printing, progress and signals; answers the exit code. */
export async function runCommand(flags: RunFlags): Promise<number> {
  const stop = abortOnStopSignal();
  const progress = flags.quiet ? undefined : progressPrinter(process.stderr);
  try {
    const outcome = await engine(flags, process.env, {
      signal: stop.signal,
      onLine: (line) => {
        progress?.clear();
        printLine(line);
      },
      onCase: progress?.onCase,
      onProperty: progress?.onProperty,
    });
    return outcome.exitCode;
  } finally {
    progress?.clear();
    stop.disarm();
  }
}

const collect = (v: string, prev: string[] = []) => [...prev, ...v.split(",").filter(Boolean)];
const collectWhole = (v: string, prev: string[] = []) => [...prev, v];

export function registerRunCommand(program: Command): void {
  const command = program
    .command("run", { isDefault: false })
    .description(
      "run the conformance suites against a gateway (with no --gateway: the built-in reference gateway and mock)",
    );
  addTargetOptions(command, "run")
    .option(
      "--profile <name|path>",
      "the gateway's contract: a built-in profile name or a YAML/JSON file",
      "lumenfall",
    )
    .option("--config <file>", "a YAML/JSON file with the target's fields (env FAULTLINE_CONFIG)")
    .option(
      "--header <name: value>",
      "an extra request header (repeatable); {{mock.providers.alpha}}, {{upstreamKey.alpha}} … are filled in",
      collectWhole,
    )
    .option(
      "--report <dir>",
      "where report.json, junit.xml, summary.md and case files go",
      "reports/faultline",
    )
    .option(
      "--seed <n>",
      "seed for every generated case (printed on every run)",
      intOption("--seed", 0, 2 ** 31 - 1),
    )
    .option("--runs <n>", "generated cases per property", intOption("--runs", 1, 10_000))
    .option("--strict", "should-level failures fail the run too")
    .option("--only <patterns>", "run only checks whose id matches (ENV-*,FO-001)", collect)
    .option("--skip <patterns>", "skip checks whose id matches", collect)
    .option(
      "--known-failing <file>",
      "checks allowed to fail; a listed check that passes fails the run as stale",
    )
    .option(
      "--defect <id>",
      "built-in mode: run the reference gateway with a one-defect mutation (repeatable)",
      collect,
    )
    .option(
      "--concurrency <n>",
      "properties run at once (default: black-box 4; upstream 1 against your gateway, so cases cannot trip each other's breakers, 4 against the built-in one)",
      intOption("--concurrency", 1, 64),
    )
    .option(
      "--settle-ms <n>",
      "when the gateway skipped the provider a case targets (a breaker, a cooldown), retry the case once after this long (default 0)",
      intOption("--settle-ms", 0, 600_000),
    )
    .option(
      "--between-cases <cmd>",
      "a shell command run before every upstream case (reset the gateway's state); its failure is a setup error",
    )
    .option(
      "--restart-wait-ms <n>",
      "how long a gateway that stopped accepting connections gets to come back before the run stops (default 10000)",
      intOption("--restart-wait-ms", 0, 600_000),
    )
    .option(
      "--property-budget-ms <n>",
      "stop generating and shrinking a property after this long",
      intOption("--property-budget-ms", 100, 3_600_000),
    )
    .option("--quiet", "no progress on stderr (stdout, the report, is unchanged)")
    .action(async (o: RunFlags) => process.exit(await runCommand(o)));
}
