import { defineMutant } from "./define.ts";

// Why it is plausible: a retry loop with a fixed count and no backoff.
export default defineMutant({
  id: "amplify_429",
  family: "retry-after",
  expectedCheck: "AMP-001",
  summary: "a provider's 429 is retried on the same provider at once, up to 6 attempts per provider",
  policy: {
    afterFailure: (f) => (f.status === 429 && f.attempts < 6 ? "same" : "next"),
  },
});
