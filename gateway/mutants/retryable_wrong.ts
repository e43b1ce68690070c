import { REFERENCE_POLICY as REF } from "../policy.ts";
import { defineMutant } from "./define.ts";

// Why it is plausible: a hint hard-coded to true.
export default defineMutant({
  id: "retryable_wrong",
  family: "hints",
  expectedCheck: "HINT-001",
  profile: "lemondata",
  summary: "every error says retryable: true, client errors included",
  policy: {
    envelopeValues: (...a) => ({ ...REF.envelopeValues(...a), retryable: true }),
  },
});
