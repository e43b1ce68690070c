import { existsSync, readFileSync } from "node:fs";
import { UsageError } from "../core/errors.ts";
import { parseYaml } from "../core/yaml.ts";
import type { RunResult } from "./harness/runner.ts";

/**
 * A known-failing list: a YAML/JSON list of check ids, `{known_failing: [ids]}`, or a baseline
 * `{checks: {ID: "fail" | "pass" | "skip"}}` (its failing entries are the list).
 */
export function readKnownFailing(file: string): string[] {
  if (!existsSync(file)) throw new UsageError(`--known-failing: file not found: ${file}`);
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, "utf8"));
  } catch (e) {
    throw new UsageError(`--known-failing ${file}: not YAML/JSON: ${(e as Error).message}`);
  }
  const ids = Array.isArray(raw)
    ? raw
    : typeof raw === "object" && raw !== null && "known_failing" in raw
      ? (raw as { known_failing: unknown }).known_failing
      : typeof raw === "object" && raw !== null && "checks" in raw
        ? Object.entries((raw as { checks: Record<string, string> }).checks)
            .filter(([, o]) => o === "fail")
            .map(([id]) => id)
        : undefined;
  if (!Array.isArray(ids) || ids.some((i) => typeof i !== "string")) {
    throw new UsageError(
      `--known-failing ${file}: expected a list of check ids, {known_failing: [...]} or {checks: {ID: outcome}}`,
    );
  }
  return ids as string[];
}

export interface KnownFailingOutcome {
  /** The result with the tolerated checks marked; the one given is left as it was. */
  result: RunResult;
  /** Listed checks that failed as expected: they no longer fail the run. */
  tolerated: string[];
  /** Listed checks that passed: the list is stale, which fails the run. */
  stale: string[];
}

/**
 * Marks listed failures as tolerated (outcome stays "fail" in the report, level drops to info) and finds
 * stale entries. Answers a new result: a finished run is a value that later steps only read.
 */
export function applyKnownFailing(r: RunResult, ids: string[]): KnownFailingOutcome {
  const tolerated: string[] = [];
  const stale: string[] = [];
  for (const id of ids) {
    const c = r.checks.find((x) => x.id === id);
    if (!c) throw new UsageError(`--known-failing: unknown check id "${id}"`);
    if (c.outcome === "fail") tolerated.push(id);
    else if (c.outcome === "pass") stale.push(id);
  }
  if (tolerated.length === 0) return { result: r, tolerated, stale };
  const marked = new Set(tolerated);
  const checks = r.checks.map((c) =>
    marked.has(c.id) ? { ...c, level: "info" as const, reason: "known failing (--known-failing)" } : c,
  );
  return { result: { ...r, checks }, tolerated, stale };
}
