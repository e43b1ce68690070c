import { defineMutant } from "./define.ts";

/** Attempts per provider and request during a storm. */
export const RETRY_STORM_ATTEMPTS = 5;

// Why it is plausible: a retry loop that multiplies load on a provider that is already down.
export default defineMutant({
  id: "retry_storm",
  family: "retry-after",
  expectedCheck: "AMP-001",
  summary:
    "after a provider's 429 or 503, the gateway asks the same provider again at once, up to 5 times, ignoring its Retry-After",
  outage: { scenario: "429-storm", rate: 30, durationS: 9 },
  policy: {
    afterFailure: (f) =>
      (f.status === 429 || f.status === 503) && f.attempts < RETRY_STORM_ATTEMPTS ? "same" : "next",
  },
});
