#!/usr/bin/env node
// The command-line entry: `faultline run | mock | gateway | replay | outage`. A command's module (and the
// harness behind it) is imported only when that command runs, so `--help` and `--version` start fast.
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { UsageError } from "../core/errors.ts";
import { followLauncher, listenProblem, stopOnSignals } from "./cli/lifecycle.ts";

type Register = (program: Command) => void;

interface CommandEntry {
  /** As commander spells it: the name and its arguments. */
  usage: string;
  /** The one line `faultline --help` lists it with. */
  summary: string;
  load(): Promise<Register>;
}

// One entry per command, in the order `--help` lists them.
const COMMANDS: CommandEntry[] = [
  {
    usage: "run",
    summary: "run the conformance suites against a gateway (none given: the built-in one)",
    load: async () => (await import("./cli/run.ts")).registerRunCommand,
  },
  {
    usage: "mock",
    summary: "run the mock upstream until SIGINT/SIGTERM",
    load: async () => (await import("./cli/mock.ts")).registerMockCommand,
  },
  {
    usage: "gateway",
    summary: "run the reference gateway in front of the mock until SIGINT/SIGTERM",
    load: async () => (await import("./cli/gateway.ts")).registerGatewayCommand,
  },
  {
    usage: "replay <case>",
    summary: "rerun one case file from a report: FIXED or STILL FAILING",
    load: async () => (await import("./cli/replay.ts")).registerReplayCommand,
  },
  {
    usage: "outage",
    summary:
      "drive traffic through a gateway while the mock plays an outage; judge each phase and the recovery",
    load: async () => (await import("./cli/outage.ts")).registerOutageCommand,
  },
];

/** The version in the package.json beside the sources (scripts/) or beside the build (dist/scripts/). */
function packageVersion(): string {
  for (const up of ["../package.json", "../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), "utf8"));
      if (pkg.name === "faultline") return String(pkg.version);
    } catch {
      // not this level
    }
  }
  return "unknown";
}

/** The command the arguments name (`faultline help X` names X); undefined for the program's own flags. */
function named(argv: string[]): CommandEntry | undefined {
  const words = argv.filter((a) => !a.startsWith("-"));
  const name = words[0] === "help" ? words[1] : words[0];
  return COMMANDS.find((c) => c.usage.split(" ")[0] === name);
}

stopOnSignals();
followLauncher();

const program = new Command()
  .name("faultline")
  .description("Conformance test harness and mock provider simulator for AI API gateways")
  .version(packageVersion(), "-v, --version", "print the version")
  .exitOverride()
  .showHelpAfterError(false)
  .configureOutput({ outputError: (s, write) => write(`faultline: ${s.replace(/^error: /, "")}`) });

try {
  const wanted = named(process.argv.slice(2));
  for (const entry of COMMANDS) {
    if (entry === wanted) {
      (await entry.load())(program);
      program.commands.at(-1)?.summary(entry.summary);
    } else {
      // The others only need their line in the help.
      program.command(entry.usage).summary(entry.summary);
    }
  }
  await program.parseAsync(process.argv);
  // A server command returns once it has closed; nothing left may keep the process alive.
  process.exit(process.exitCode ?? 0);
} catch (e) {
  if (e instanceof CommanderError) {
    // Help and version exit 0; every other parse problem is bad usage.
    process.exit(e.exitCode === 0 ? 0 : 2);
  }
  const problem = e instanceof UsageError ? e.message : listenProblem(e);
  if (problem) {
    process.stderr.write(`faultline: ${problem}\n`);
    process.exit(2);
  }
  process.stderr.write(`faultline: unexpected failure: ${(e as Error).stack ?? e}\n`);
  process.exit(3);
}
