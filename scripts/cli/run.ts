import type { Command } from "commander";

export function registerRunCommand(program: Command): void {
  program.command("run").description("(not yet implemented)");
}
