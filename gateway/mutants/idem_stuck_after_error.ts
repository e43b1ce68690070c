import { REFERENCE_POLICY as REF } from "../policy.ts";
import { defineMutant } from "./define.ts";

// Why it is plausible: the key's lock released on success only.
export default defineMutant({
  id: "idem_stuck_after_error",
  family: "idempotency",
  expectedCheck: "IDEM-006",
  profile: "data-envelope",
  summary: "a key whose first request ended 5xx stays in flight: every retry with it is refused 409",
  policy: {
    afterAnswer: (status) => (REF.afterAnswer(status) === "release" ? "hold" : REF.afterAnswer(status)),
  },
});
