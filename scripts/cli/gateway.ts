import type { Command } from "commander";

export function registerGatewayCommand(program: Command): void {
  program.command("gateway").description("(not yet implemented)");
}
