import { REFERENCE_POLICY as REF } from "../policy.ts";
import { defineMutant } from "./define.ts";

// Why it is plausible: a key recorded only once its answer is ready.
export default defineMutant({
  id: "idem_in_flight_duplicate",
  family: "idempotency",
  expectedCheck: "IDEM-003",
  profile: "data-envelope",
  summary: "a duplicate sent while the first is in flight is executed a second time",
  policy: {
    repeatAction: (seen) => (REF.repeatAction(seen) === "in_flight" ? "run" : REF.repeatAction(seen)),
  },
});
