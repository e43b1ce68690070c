import { type Command, InvalidArgumentError } from "commander";
import { TARGET_KEYS } from "../../core/target-keys.ts";

/** Parses an integer flag, naming the flag and what was seen when it is not one. */
export function intOption(flag: string, min = 0, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${flag} expected an integer between ${min} and ${max}, saw "${value}"`);
    }
    return n;
  };
}

/** Whether a bind address keeps a server on this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Resolves when the process is asked to stop. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const done = (s: NodeJS.Signals) => resolve(s);
    process.once("SIGINT", done);
    process.once("SIGTERM", done);
  });
}

/**
 * Adds the target's keys (core/target-keys.ts) as options, each naming its environment variable; replay
 * takes only those its case file does not carry.
 */
export function addTargetOptions(command: Command, which: "run" | "replay"): Command {
  for (const k of TARGET_KEYS) {
    if (which === "replay" && !k.replay) continue;
    const usage = `${k.flag} <${k.arg}>`;
    const help = `${k.help} (env ${k.env})`;
    if ("range" in k) command.option(usage, help, intOption(k.flag, ...k.range));
    else command.option(usage, help);
  }
  return command;
}
