import type { JournalEntry } from "../../mocks/journal.ts";
import type { Level, Profile } from "../profile/schema.ts";
import type { Check } from "./registry.ts";
import { parseRetryAfter } from "./retry-after.ts";
import { show } from "./util.ts";

/**
 * Outage-level checks: what only traffic over time shows (docs/contract.md §23, §24, §28). They are judged
 * by `faultline outage` alongside every check of the registry, and kept out of the registry itself: a
 * `faultline run` cannot exercise them (one case at a time, no outage, no recovery), so there they could
 * only ever read "not exercised".
 */

/** The attempts one request may make at one provider (§23: "default: 2 per provider"). */
export const MAX_ATTEMPTS_PER_PROVIDER = 2;

function attemptsByProvider(journal: JournalEntry[]): Map<string, number> {
  const n = new Map<string, number>();
  for (const e of journal) n.set(e.provider, (n.get(e.provider) ?? 0) + 1);
  return n;
}

const AMP_001: Check = {
  id: "AMP-001",
  level: "should",
  title: "Bounded amplification",
  sentence:
    "One client request causes at most the profile's maxAttemptsPerRequest upstream attempts (default: 2 per provider).",
  source: "docs/contract.md §23 Bounded amplification",
  fix: "Cap retries per request (and per provider); under a storm, retrying a provider that is already failing multiplies its load.",
  applies: (j) => (j.exchange.journal?.length ?? 0) > MAX_ATTEMPTS_PER_PROVIDER,
  judge({ exchange: ex }) {
    const over = [...attemptsByProvider(ex.journal!)].filter(([, n]) => n > MAX_ATTEMPTS_PER_PROVIDER);
    if (!over.length) return undefined;
    return {
      expected: `at most ${MAX_ATTEMPTS_PER_PROVIDER} attempts per provider for one request`,
      received: over.map(([p, n]) => `${n} attempts at ${p}`).join(", "),
    };
  },
};

/** The Retry-After (seconds) a provider's attempt asked for, as the mock's journal records the step. */
export function providerRetryAfterS(e: JournalEntry): number | undefined {
  if (e.status !== 429 && e.status !== 503) return undefined;
  const mode = e.step.retryAfter ?? (e.step.step === "rate_limit" ? "seconds" : "none");
  if (mode === "none") return undefined;
  return typeof e.step.retryAfterS === "number" ? e.step.retryAfterS : 1;
}

const RA_004: Check = {
  id: "RA-004",
  level: "should",
  title: "The gateway's Retry-After is useful",
  sentence:
    "When the gateway answers 429/503 because providers are rate-limited or overloaded, its Retry-After is present, valid, and not shorter than the shortest one the providers gave.",
  source: "docs/contract.md §24 A useful Retry-After from the gateway; RFC 9110 §10.2.3",
  fix: "Carry the providers' Retry-After through: answer with the shortest wait after which a provider will accept the request again, never none and never less.",
  applies: (j) =>
    (j.exchange.status === 429 || j.exchange.status === 503) &&
    (j.exchange.journal ?? []).some((e) => providerRetryAfterS(e) !== undefined),
  judge({ exchange: ex }) {
    const shortest = Math.min(
      ...ex.journal!.map(providerRetryAfterS).filter((s): s is number => s !== undefined),
    );
    const raw = ex.headers["retry-after"];
    const got = parseRetryAfter(raw);
    if (got !== undefined && got >= shortest) return undefined;
    return {
      expected: `Retry-After of at least ${shortest} s (the shortest the providers gave)`,
      received: raw === undefined ? `${ex.status} without Retry-After` : `Retry-After: ${show(raw)}`,
    };
  },
};

/** Checks judged on every exchange of an outage run, on top of the registry's. */
export const OUTAGE_EXCHANGE_CHECKS: readonly Check[] = [AMP_001, RA_004];

/** REC-001 judges the run's timeline, not one exchange. */
export const REC_001 = {
  id: "REC-001",
  level: "must" as Level,
  title: "The gateway recovers",
  sentence:
    "Once the providers recover, the gateway serves 2xx again within the profile's recoveryS (default 30 s).",
  source: "docs/contract.md §28 Recovery",
  fix: "Let a provider back in once it answers again: a circuit breaker must half-open after its open time and close on a success; cooldowns must expire.",
};

/** Every outage-level check, for reports and docs. */
export const OUTAGE_CHECKS = [
  ...OUTAGE_EXCHANGE_CHECKS.map((c) => ({
    id: c.id,
    level: c.level as Level,
    title: c.title,
    sentence: c.sentence,
    source: c.source,
    fix: c.fix,
  })),
  REC_001,
] as const;

/** One second of traffic after the providers recovered, by the time requests were sent. */
export interface RecoveryBin {
  /** Seconds since the providers recovered. */
  t: number;
  answered: number;
  ok: number;
}

/** A second counts as served when at least this share of its answers is 2xx (one stray failure in 100 is noise). */
export const SERVED_SHARE = 0.99;
/** Recovery must hold this long before it counts (seconds). */
export const CONFIRM_S = 2;

export interface RecoveryVerdict {
  /** Seconds from the providers' recovery to the first second from which every second was served. */
  recoveredAfterS?: number;
  /** Seconds of traffic observed after the providers recovered. */
  observedS: number;
  pass: boolean;
  /** True when the traffic ended too soon to tell (neither recovered nor recoveryS observed). */
  undecided: boolean;
  expected: string;
  received: string;
}

const served = (b: RecoveryBin) => b.answered > 0 && b.ok / b.answered >= SERVED_SHARE;

/**
 * The gateway has recovered at the first second from which every later second is served, provided at
 * least CONFIRM_S seconds of such traffic were seen. Measured in whole seconds since the providers recovered.
 */
export function judgeRecovery(bins: RecoveryBin[], p: Pick<Profile, "recoveryS">): RecoveryVerdict {
  const observedS = bins.length;
  let from = bins.length;
  while (from > 0 && served(bins[from - 1]!)) from--;
  const confirmed = bins.length - from >= CONFIRM_S;
  const recoveredAfterS = confirmed ? from : undefined;
  const expected = `2xx again within ${p.recoveryS} s of the providers' recovery`;
  if (recoveredAfterS !== undefined) {
    const pass = recoveredAfterS <= p.recoveryS;
    return {
      recoveredAfterS,
      observedS,
      pass,
      undecided: false,
      expected,
      received: `served 2xx steadily after ${recoveredAfterS} s`,
    };
  }
  const last = bins.at(-1);
  return {
    observedS,
    pass: false,
    undecided: observedS < p.recoveryS + CONFIRM_S,
    expected,
    received: `no steady 2xx in the ${observedS} s observed after the providers recovered${
      last ? ` (last second: ${last.ok} of ${last.answered} answers 2xx)` : ""
    }`,
  };
}
