import { defineMutant } from "./define.ts";

// Why it is plausible: a retry rule written from the status alone, "429 means wait and try again", that
// never reads the body (insufficient_quota, enforced_spend_limit_reached) or x-should-retry.
export default defineMutant({
  id: "retry_spent_quota",
  family: "retry-after",
  expectedCheck: "RETRY-001",
  summary: "a provider's 429 is asked once more at the same provider, even when its quota is spent",
  policy: {
    afterFailure: (f) => (f.status === 429 && f.attempts < 2 ? "same" : "next"),
  },
});
