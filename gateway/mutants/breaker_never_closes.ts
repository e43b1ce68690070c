import { type BreakerConfig, CircuitBreakers } from "../breaker.ts";
import { defineMutant } from "./define.ts";

/** Without a configured breaker, the reference breaker's defaults. */
const NEVER_CLOSING: BreakerConfig = { failureThreshold: 5, openMs: 5_000 };

/** Once open, the breaker stays open. */
class NeverClosingBreakers extends CircuitBreakers {
  protected override open(s: { openUntil?: number }): void {
    s.openUntil = Number.POSITIVE_INFINITY;
  }
}

// Why it is plausible: a breaker whose open state has no way out.
export default defineMutant({
  id: "breaker_never_closes",
  family: "recovery",
  expectedCheck: "REC-001",
  summary:
    "a provider's circuit breaker opens after 5 consecutive failures and never half-opens: the provider stays disabled for good",
  outage: { scenario: "provider-down", rate: 30, durationS: 8, recoveryS: 5 },
  policy: {
    breakers: (config) => new NeverClosingBreakers(config ?? NEVER_CLOSING),
  },
});
