import type { Level, Profile } from "../../core/profile/schema.ts";

/**
 * The outage-level check: what only traffic over time shows (docs/contract.md §28). `faultline outage`
 * judges every exchange with every check of the registry (amplification, AMP-001, and the gateway's
 * Retry-After, RA-004, among them: suites/checks/amplification.ts, retry-after-gateway.ts) and judges
 * recovery on the run's timeline. REC-001 is kept out of the registry: a `faultline run` cannot exercise
 * it (one case at a time, no outage that ends), so there it could only ever read "not exercised".
 */

/** REC-001 judges the run's timeline, not one exchange. */
export const REC_001 = {
  id: "REC-001",
  level: "must" as Level,
  title: "The gateway recovers",
  sentence:
    "Once the providers recover, the gateway serves 2xx again within the profile's recoveryS (default 30 s), and again through the provider it used before the outage (a provider kept disabled for good is no recovery).",
  source: "docs/contract.md §28 Recovery",
  fix: "Let a provider back in once it answers again: a circuit breaker must half-open after its open time and close on a success; cooldowns must expire.",
};

/** Every outage-level check, for reports and docs. */
export const OUTAGE_CHECKS = [REC_001] as const;

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
  /** Seconds from the providers' recovery until the gateway served 2xx steadily, and through its usual provider. */
  recoveredAfterS?: number;
  /** Seconds of traffic observed after the providers recovered. */
  observedS: number;
  pass: boolean;
  /** True when the traffic ended too soon to tell (neither recovered nor recoveryS observed). */
  undecided: boolean;
  expected: string;
  received: string;
}

/** The provider that served the clean request before the outage, and when it first served again after it. */
export interface UsualProvider {
  name: string;
  /** Seconds since the providers recovered, of the first request it served; undefined while it has not. */
  backAfterS?: number;
}

const served = (b: RecoveryBin) => b.answered > 0 && b.ok / b.answered >= SERVED_SHARE;

/**
 * The gateway has recovered once (a) every second from some second on is served, at least CONFIRM_S
 * seconds of them seen, and (b) the provider it used before the outage has served a request again — a
 * gateway that keeps serving through the next provider while its first stays disabled has not recovered
 * (a breaker that never closes). Measured in whole seconds since the providers recovered.
 */
export function judgeRecovery(
  bins: RecoveryBin[],
  p: Pick<Profile, "recoveryS">,
  usual?: UsualProvider,
): RecoveryVerdict {
  const observedS = bins.length;
  let from = bins.length;
  while (from > 0 && served(bins[from - 1]!)) from--;
  const steadyAfterS = bins.length - from >= CONFIRM_S ? from : undefined;
  const back = usual ? usual.backAfterS : 0;
  const expected = `2xx again within ${p.recoveryS} s of the providers' recovery${usual ? `, through ${usual.name} again` : ""}`;
  const undecided = observedS < p.recoveryS + CONFIRM_S;
  if (steadyAfterS !== undefined && back !== undefined) {
    const recoveredAfterS = Math.max(steadyAfterS, back);
    const via = usual && back > steadyAfterS ? ` (${usual.name} served again after ${back} s)` : "";
    return {
      recoveredAfterS,
      observedS,
      pass: recoveredAfterS <= p.recoveryS,
      undecided: false,
      expected,
      received: `served 2xx steadily after ${steadyAfterS} s${via}`,
    };
  }
  if (steadyAfterS !== undefined) {
    return {
      observedS,
      pass: false,
      undecided,
      expected,
      received: `served 2xx steadily after ${steadyAfterS} s, but ${usual!.name}, the provider it used before the outage, served nothing in the ${observedS} s observed: it is still kept out`,
    };
  }
  const last = bins.at(-1);
  return {
    observedS,
    pass: false,
    undecided,
    expected,
    received: `no steady 2xx in the ${observedS} s observed after the providers recovered${
      last ? ` (last second: ${last.ok} of ${last.answered} answers 2xx)` : ""
    }`,
  };
}
