import { REFERENCE_POLICY as REF } from "../policy.ts";
import { defineMutant } from "./define.ts";

// Why it is plausible: no payload fingerprint kept with the key.
export default defineMutant({
  id: "idem_mismatch_accepted",
  family: "idempotency",
  expectedCheck: "IDEM-002",
  profile: "data-envelope",
  summary: "a reused Idempotency-Key with another payload is executed instead of rejected",
  policy: {
    repeatAction: (seen) => (REF.repeatAction(seen) === "mismatch" ? "run" : REF.repeatAction(seen)),
  },
});
