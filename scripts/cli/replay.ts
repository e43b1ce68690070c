import type { Command } from "commander";

export function registerReplayCommand(program: Command): void {
  program.command("replay").description("(not yet implemented)");
}
