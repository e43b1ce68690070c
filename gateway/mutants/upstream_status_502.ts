import { REFERENCE_POLICY as REF } from "../policy.ts";
import { defineMutant } from "./define.ts";

// Why it is plausible: every provider error reported as a bad gateway.
export default defineMutant({
  id: "upstream_status_502",
  family: "upstream",
  expectedCheck: "UPS-001",
  summary: "non-retryable upstream errors are answered 502 instead of the provider's status",
  policy: {
    answerUpstreamError: (c, spec) => REF.answerUpstreamError(c, { ...spec, status: 502 }),
  },
});
