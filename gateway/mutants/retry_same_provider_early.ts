import { defineMutant } from "./define.ts";

// Why it is plausible: a retry-once wrapper around the provider call that ignores Retry-After.
export default defineMutant({
  id: "retry_same_provider_early",
  family: "retry-after",
  expectedCheck: "RA-003",
  summary: "after a provider's 429/503 with Retry-After, the same provider is asked again at once",
  policy: {
    afterFailure: (f) => ((f.status === 429 || f.status === 503) && f.attempts === 1 ? "same" : "next"),
  },
});
