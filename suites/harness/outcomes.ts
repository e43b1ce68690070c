import type { Profile } from "../../core/profile/schema.ts";
import type { Check } from "../checks/registry.ts";
import { levelOf } from "../checks/registry.ts";
import type { CheckResult, PropertyOutcome, ViolationRecord } from "./result.ts";

/** What a run saw of one check. */
export interface Tally {
  evaluated: number;
  /** Cases of a property that lists the check, which could not be judged: reason → count. */
  inconclusive: Map<string, number>;
  /**
   * Cases that failed the check, but only on runs the harness cannot vouch for (its event loop stalled):
   * reason → count. The check is then inconclusive, not passed, however many other cases held.
   */
  unconfirmed: Map<string, number>;
  violations: ViolationRecord[];
}

export const newTally = (): Tally => ({
  evaluated: 0,
  inconclusive: new Map(),
  unconfirmed: new Map(),
  violations: [],
});

const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

function inconclusiveReason(t: Tally): string {
  const parts = [...t.inconclusive].map(([why, n]) => `${n} case(s): ${why}`);
  const keys = [...t.inconclusive.keys()];
  const breaker = keys.some((k) => k.includes("skipped") || k.includes("saw no attempt"));
  const gaveUp = keys.some((k) => k.includes("gave up on"));
  const advice = [
    breaker
      ? "give the gateway the time it needs to recover with --settle-ms, or reset it with --between-cases"
      : "",
    gaveUp
      ? "run on a less loaded machine, or give the gateway an attempt timeout above its providers' latency"
      : "",
  ].filter(Boolean);
  return `${parts.join("; ")}${advice.length ? ` — ${advice.join("; ")}` : ""}`;
}

/** What happened to one property, in the words a not-exercised reason uses. */
function propertyStory(p: PropertyOutcome): string {
  switch (p.status) {
    case "skipped":
      return `skipped (${p.reason})`;
    case "error":
      return `errored (${p.reason})`;
    case "incomplete":
      return `stopped after ${p.executed} of ${p.requested} cases (${p.reason})`;
    default:
      return `ran ${p.executed} case(s), none of them produced its condition${p.reason ? ` (${p.reason})` : ""}`;
  }
}

/**
 * Why a check judged nothing, from what happened to the properties that list it (never from unrelated
 * ones): skipped for want of a mock or a fixture, errored, stopped, or ran without producing its condition.
 */
function notExercisedReason(listing: PropertyOutcome[], ran: number, stopped?: string): string {
  if (listing.length === 0) {
    const why = `no property targets it, and none of the ${ran} case(s) run produced its condition`;
    return stopped ? `${why}; the run stopped early (${stopped})` : why;
  }
  // Properties with the same story (the same property per endpoint family, or one missing fixture) read as one.
  const byStory = new Map<string, string[]>();
  for (const p of listing) {
    const s = propertyStory(p);
    byStory.set(s, [...(byStory.get(s) ?? []), p.id]);
  }
  return [...byStory].map(([story, ids]) => `${ids.join(", ")}: ${story}`).join("; ");
}

/** Each check's outcome, derived from what the run saw: only a judged exchange can make a pass. */
export function checkResults(a: {
  checks: Check[];
  profile: Profile;
  tallies: Map<string, Tally>;
  active: Set<string>;
  /** Property id → the checks it lists. */
  lists: Map<string, string[]>;
  properties: PropertyOutcome[];
  stopped?: string;
}): CheckResult[] {
  const ran = a.properties.reduce((n, p) => n + p.executed, 0);
  return a.checks.map((c) => {
    const t = a.tallies.get(c.id)!;
    const base = {
      id: c.id,
      level: levelOf(c, a.profile),
      title: c.title,
      sentence: c.sentence,
      source: c.source,
      fix: c.fix,
      evaluated: t.evaluated,
      inconclusive: sum(t.inconclusive),
      violations: t.violations,
    };
    if (!a.active.has(c.id))
      return {
        ...base,
        outcome: "not_selected",
        evaluated: 0,
        inconclusive: 0,
        reason: "not selected (--only/--skip)",
      };
    if (t.violations.length) return { ...base, outcome: "fail" };
    if (t.unconfirmed.size)
      return {
        ...base,
        outcome: "inconclusive",
        reason: `${[...t.unconfirmed].map(([why, n]) => `${n} case(s) failed it, unconfirmed: ${why}`).join("; ")}${t.evaluated ? ` (${t.evaluated} other case(s) held)` : ""}`,
      };
    if (t.evaluated > 0) return { ...base, outcome: "pass" };
    const notDeclared = c.notDeclared?.(a.profile);
    if (notDeclared) return { ...base, outcome: "not_declared", reason: notDeclared };
    if (base.inconclusive > 0) return { ...base, outcome: "inconclusive", reason: inconclusiveReason(t) };
    const listing = a.properties.filter((p) => a.lists.get(p.id)?.includes(c.id));
    return {
      ...base,
      outcome: "not_exercised",
      reason: notExercisedReason(listing, ran, a.stopped),
    };
  });
}
