import { REFERENCE_POLICY as REF } from "../policy.ts";
import { defineMutant } from "./define.ts";

// Why it is plausible: the documented extra fields never filled in.
export default defineMutant({
  id: "concurrency_fields_missing",
  family: "envelope",
  expectedCheck: "ENV-005",
  profile: "data-envelope",
  summary: "CONCURRENT_GENERATION_LIMIT carries neither active_requests nor concurrency_limit",
  policy: {
    envelopeValues: (...a) => ({ ...REF.envelopeValues(...a), required: {} }),
  },
});
