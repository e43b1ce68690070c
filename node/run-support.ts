// What a run needs around the runner: the selection check, the commands a report prints, and the partial
// result when the run is stopped.

import { UsageError } from "../core/errors.ts";
import { TARGET_KEYS } from "../core/target-keys.ts";
import { allChecks } from "../suites/checks/index.ts";
import { CLI } from "../suites/harness/preflight.ts";
import type { RunResult } from "../suites/harness/result.ts";
import { matchesPattern } from "../suites/harness/runner.ts";
import type { RerunCommand } from "../suites/report/console.ts";
import { shellArg } from "../suites/report/curl.ts";
import type { Target } from "../suites/target.ts";

/** Edit distance, for "did you mean" lists. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/**
 * `--only`/`--skip` that leave no check selected are bad usage (exit 2), never a vacuous PASS. Returns the
 * patterns of `--only` that match nothing, for a warning when others do match.
 */
export function checkSelection(only: string[] = [], skip: string[] = []): string[] {
  const ids = allChecks().map((c) => c.id);
  const selected = ids.filter(
    (id) => (!only.length || matchesPattern(id, only)) && !(skip.length && matchesPattern(id, skip)),
  );
  const unmatched = only.filter((p) => !ids.some((id) => matchesPattern(id, [p])));
  if (selected.length) return unmatched;
  const prefixes = [...new Set(ids.map((id) => `${id.split("-")[0]}-*`))];
  const close = unmatched
    .flatMap((p) => {
      const bare = p.replace(/\*/g, "").toUpperCase();
      return ids.filter(
        (id) =>
          distance(bare, id) <= Math.max(2, Math.floor(id.length / 3)) ||
          id.startsWith(bare.split("-")[0]! + "-"),
      );
    })
    .filter((id, i, all) => all.indexOf(id) === i)
    .slice(0, 8);
  const what = unmatched.length
    ? `--only ${unmatched.map((p) => `'${p}'`).join(",")} matches no check`
    : `--only ${only.join(",") || "(all)"} with --skip ${skip.join(",")} leaves no check selected`;
  throw new UsageError(
    `${what}${close.length ? `; close matches: ${close.join(", ")}` : ""}; valid id prefixes: ${prefixes.join(", ")}`,
  );
}

/** A command-line word: left bare when the shell reads it as is. */
function word(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

export interface CommandFlags {
  profile: string;
  config?: string;
  header?: string[];
  defect?: string[];
  runs?: number;
  deadlineMs?: number;
  strict?: boolean;
  settleMs?: number;
  betweenCases?: string;
  restartWaitMs?: number;
}

/** The flags that reach this target again, secrets as environment variables (`"$FAULTLINE_API_KEY"`). */
function targetArgs(flags: CommandFlags, t: Target, builtin: boolean): string[] {
  if (builtin) return flags.defect?.length ? ["--defect", flags.defect.join(",")] : [];
  const args = ["--gateway", word(t.gateway)];
  if (t.mock) args.push("--mock", word(t.mock));
  if (flags.config) args.push("--config", word(flags.config));
  if (t.auth === "none") args.push("--auth", "none");
  // The URLs are above, the model and deadline follow the profile; every other key that is set, secrets
  // as their variables.
  for (const k of TARGET_KEYS) {
    const v = t[k.field];
    if (v === undefined || ["gateway", "mock", "model", "deadlineMs", "auth"].includes(k.field)) continue;
    if (k.field === "apiKey" && t.auth === "none") continue;
    args.push(k.flag, k.secret ? `"$${k.env}"` : word(String(v)));
  }
  for (const h of flags.header ?? []) args.push("--header", shellArg(h, t));
  return args;
}

/** `npx faultline run … --seed N --only ID`: the whole command, runnable as pasted. */
export function rerunCommand(flags: CommandFlags, t: Target, builtin: boolean, seed: number): RerunCommand {
  const args = [CLI, "run", ...targetArgs(flags, t, builtin), "--profile", word(flags.profile)];
  if (!builtin) args.push("--model", word(t.model));
  if (flags.deadlineMs !== undefined) args.push("--deadline-ms", String(flags.deadlineMs));
  if (flags.runs !== undefined) args.push("--runs", String(flags.runs));
  // What changes how cases are judged, so the rerun judges alike.
  if (flags.settleMs !== undefined) args.push("--settle-ms", String(flags.settleMs));
  if (flags.betweenCases !== undefined) args.push("--between-cases", word(flags.betweenCases));
  if (flags.restartWaitMs !== undefined) args.push("--restart-wait-ms", String(flags.restartWaitMs));
  if (flags.strict) args.push("--strict");
  args.push("--seed", String(seed));
  const base = args.join(" ");
  return (checkId) => `${base} --only ${checkId}`;
}

/** The flags after `faultline replay CASE`: the case file carries the profile, paths, headers and plan. */
export function replayArgs(flags: CommandFlags, t: Target, builtin: boolean): string {
  if (builtin)
    return ` --profile ${word(flags.profile)}${flags.defect?.length ? ` --defect ${flags.defect.join(",")}` : ""}`;
  const args = ["--gateway", word(t.gateway)];
  if (t.mock) args.push("--mock", word(t.mock));
  if (t.auth !== "none") args.push("--api-key", '"$FAULTLINE_API_KEY"');
  return ` ${args.join(" ")}`;
}

/** Why a run stopped early: a signal's name (`SIGINT`, `SIGTERM`) or the reason an AbortSignal gave. */
export type StopReason = string;

/** What a stopped run exits with: 143 for SIGTERM, 130 for SIGINT or any other interruption. */
export function signalExitCode(s: StopReason): 130 | 143 {
  return s === "SIGTERM" ? 143 : 130;
}

/** The reason an aborted signal gives, as a run names it. */
export function stopReason(signal: AbortSignal): StopReason {
  const r: unknown = signal.reason;
  if (typeof r === "string") return r;
  return r instanceof Error && r.name !== "AbortError" ? r.message : "an abort";
}

/** Resolves with the stop reason once the signal aborts (at once when it already has). */
export function whenAborted(signal: AbortSignal | undefined): Promise<StopReason> | undefined {
  if (!signal) return undefined;
  return new Promise((resolve) => {
    if (signal.aborted) resolve(stopReason(signal));
    else signal.addEventListener("abort", () => resolve(stopReason(signal)), { once: true });
  });
}

/** Whichever comes first: the value, or a stop. */
export async function raceStop<T>(
  p: Promise<T>,
  stop: Promise<StopReason> | undefined,
): Promise<{ value: T } | { signal: StopReason }> {
  return Promise.race([
    p.then((value) => ({ value })),
    ...(stop ? [stop.then((signal) => ({ signal }))] : []),
  ]);
}

/**
 * Runs the suites until they finish or a stop comes. On a stop the run is aborted and the cases in flight
 * get a moment to end; then the result is whatever finished, marked stopped.
 */
export async function runUntilStopped(
  run: (signal: AbortSignal) => Promise<RunResult>,
  stop: Promise<StopReason> | undefined,
  partial: () => RunResult,
  graceMs = 2_500,
): Promise<{ result: RunResult; interrupted?: StopReason }> {
  const abort = new AbortController();
  const running = run(abort.signal);
  const first = await raceStop(running, stop);
  if ("value" in first) return { result: first.value };
  abort.abort();
  running.catch(() => undefined);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const settled = await Promise.race([
    running,
    new Promise<undefined>((r) => {
      timer = setTimeout(() => r(undefined), graceMs);
    }),
  ]);
  clearTimeout(timer);
  const result = settled ?? partial();
  const n = result.properties.length;
  result.stopped = { reason: `interrupted by ${first.signal} after ${n} propert${n === 1 ? "y" : "ies"}` };
  return { result, interrupted: first.signal };
}
