import type { Profile } from "../../core/profile/schema.ts";
import { type Check, type Judgement, levelOf } from "../checks/registry.ts";
import type { Exchange } from "./types.ts";

// Judging is the one place the harness meets the checks: it is handed them, it never imports the list.

export interface Verdict {
  checkId: string;
  expected: string;
  received: string;
}

export interface Execution {
  exchange: Exchange;
  /** Checks that had something to say about this exchange. */
  evaluated: string[];
  verdicts: Verdict[];
}

/** Every check that applies judges the exchange once. */
export function judge(judgement: Judgement, checks: Check[]): Execution {
  const evaluated: string[] = [];
  const verdicts: Verdict[] = [];
  for (const ch of checks) {
    if (!ch.applies(judgement)) continue;
    evaluated.push(ch.id);
    const f = ch.judge(judgement);
    if (f) verdicts.push({ checkId: ch.id, ...f });
  }
  return { exchange: judgement.exchange, evaluated, verdicts };
}

/** Verdicts that fail a property: must and should; info never fails. `checks` are the ones that judged. */
export function failing(
  verdicts: Verdict[],
  checks: Check[],
  profile: Profile,
  only?: Set<string>,
): Verdict[] {
  const byId = new Map(checks.map((c) => [c.id, c]));
  return verdicts.filter((v) => {
    if (only && !only.has(v.checkId)) return false;
    const ch = byId.get(v.checkId);
    return ch !== undefined && levelOf(ch, profile) !== "info";
  });
}
