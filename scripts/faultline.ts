#!/usr/bin/env -S npx tsx
// The command-line entry: `faultline mock | gateway | run | replay`.
import { Command, CommanderError } from "commander";
import { UsageError } from "../suites/errors.ts";
import { registerGatewayCommand } from "./cli/gateway.ts";
import { registerMockCommand } from "./cli/mock.ts";
import { registerReplayCommand } from "./cli/replay.ts";
import { registerRunCommand } from "./cli/run.ts";

const program = new Command()
  .name("faultline")
  .description("Conformance test harness and mock provider simulator for AI API gateways")
  .exitOverride()
  .showHelpAfterError(false)
  .configureOutput({ outputError: (s, write) => write(`faultline: ${s.replace(/^error: /, "")}`) });

registerRunCommand(program);
registerMockCommand(program);
registerGatewayCommand(program);
registerReplayCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // Help and version exit 0; every other parse problem is bad usage.
    process.exit(e.exitCode === 0 ? 0 : 2);
  }
  if (e instanceof UsageError) {
    process.stderr.write(`faultline: ${e.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`faultline: unexpected failure: ${(e as Error).stack ?? e}\n`);
  process.exit(3);
}
