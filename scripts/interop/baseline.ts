import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { CheckOutcome } from "../../suites/harness/runner.ts";

/**
 * What a third-party gateway did, check by check, on one fixed run. `faultline run --known-failing FILE`
 * reads it as a known-failing list (its "fail" entries).
 */
export interface Baseline {
  gateway: string;
  version: string;
  profile: string;
  seed: number;
  runs: number;
  checks: Record<string, CheckOutcome>;
}

/** One check whose outcome is not the baseline's: either way is a move (a fix shows up as one too). */
export interface Move {
  id: string;
  baseline: CheckOutcome | "absent";
  now: CheckOutcome | "absent";
}

export function readBaseline(file: string): Baseline | undefined {
  if (!existsSync(file)) return undefined;
  const raw = JSON.parse(readFileSync(file, "utf8")) as Partial<Baseline>;
  if (
    typeof raw.seed !== "number" ||
    typeof raw.runs !== "number" ||
    typeof raw.checks !== "object" ||
    !raw.checks
  ) {
    throw new Error(`${file}: expected {gateway, version, profile, seed, runs, checks: {ID: outcome}}`);
  }
  return raw as Baseline;
}

export function writeBaseline(file: string, b: Baseline): void {
  const checks = Object.fromEntries(
    Object.entries(b.checks).sort(([a], [c]) => a.localeCompare(c, "en", { numeric: true })),
  );
  writeFileSync(file, `${JSON.stringify({ ...b, checks }, null, 2)}\n`);
}

export function compareOutcomes(
  baseline: Record<string, CheckOutcome>,
  now: Record<string, CheckOutcome>,
): Move[] {
  const ids = [...new Set([...Object.keys(baseline), ...Object.keys(now)])].sort((a, b) =>
    a.localeCompare(b, "en", { numeric: true }),
  );
  return ids
    .map((id) => ({ id, baseline: baseline[id] ?? ("absent" as const), now: now[id] ?? ("absent" as const) }))
    .filter((m) => m.baseline !== m.now && !(isQuiet(m.baseline) && isQuiet(m.now)));
}

/** A check that is absent on one side and skipped on the other says nothing about the gateway. */
const isQuiet = (o: CheckOutcome | "absent") => o === "absent" || (o !== "pass" && o !== "fail");

export function describeMove(m: Move): string {
  const why =
    m.baseline === "fail" && m.now === "pass"
      ? "now passes: the gateway was fixed (or the check changed); record it with --update-baseline"
      : m.baseline === "pass" && m.now === "fail"
        ? "now fails: the gateway regressed (or the check got stricter)"
        : m.now === "absent"
          ? "the check no longer exists"
          : m.baseline === "absent"
            ? "a new check"
            : "no longer exercised the same way";
  return `${m.id}: ${m.baseline} → ${m.now} (${why})`;
}
