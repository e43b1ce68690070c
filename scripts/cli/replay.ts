// `faultline replay CASE`: flags in, the engine (node/replay.ts) replays, its verdict printed, its exit code out.
import type { Command } from "commander";
import { type ReplayFlags, replayCase } from "../../node/replay.ts";
import { addTargetOptions } from "./options.ts";

// Tests and scripts that replay in-process import the engine from here.
export { type ReplayFlags, type ReplayOutcome, type ReplayVerdict, replayCase } from "../../node/replay.ts";

const collect = (v: string, prev: string[] = []) => [...prev, ...v.split(",").filter(Boolean)];

export function registerReplayCommand(program: Command): void {
  const command = program
    .command("replay <case>")
    .description(
      "rerun one case file from a report: FIXED (0), STILL FAILING (1) or COULD NOT RUN (2); no --gateway: the built-in reference gateway",
    );
  addTargetOptions(command, "replay")
    .option("--profile <name|path>", "override the profile the case file carries")
    .option("--config <file>", "a target file (YAML/JSON), e.g. with header templates")
    .option("--defect <id>", "built-in mode: reference gateway with a one-defect mutation", collect)
    .action(async (file: string, o: ReplayFlags) => {
      const r = await replayCase(file, o);
      process.stdout.write(`${r.output}\n`);
      process.exit(r.exitCode);
    });
}
