import { defineMutant } from "./define.ts";

// Why it is plausible: a gateway that treats every provider error as the provider's fault.
export default defineMutant({
  id: "content_policy_failover",
  family: "upstream",
  expectedCheck: "UPS-002",
  summary: "non-retryable upstream errors fail over to the next provider",
  policy: {
    upstreamVerdict: () => "next",
  },
});
