import { REFERENCE_POLICY as REF } from "../policy.ts";
import { defineMutant } from "./define.ts";

// Why it is plausible: Date.now() where the documentation promises ISO 8601.
export default defineMutant({
  id: "timestamp_epoch",
  family: "envelope",
  expectedCheck: "TS-001",
  profile: "meta-envelope",
  summary: "meta.timestamp is epoch milliseconds, not ISO 8601",
  policy: {
    envelopeValues: (...a) => ({ ...REF.envelopeValues(...a), timestamp: Date.now() }),
  },
});
