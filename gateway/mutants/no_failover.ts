import { defineMutant } from "./define.ts";

// Why it is plausible: a gateway configured with one provider per model, or a failover loop that never loops.
export default defineMutant({
  id: "no_failover",
  family: "failover",
  expectedCheck: "FO-001",
  summary: "the first provider's retryable failure is answered as exhaustion",
  policy: {
    afterFailure: () => "stop",
  },
});
