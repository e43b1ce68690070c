import { REFERENCE_POLICY as REF } from "../policy.ts";
import { defineMutant } from "./define.ts";

// Why it is plausible: only successes stored, so a refused request runs again.
export default defineMutant({
  id: "idem_errors_not_stored",
  family: "idempotency",
  expectedCheck: "IDEM-001",
  profile: "data-envelope",
  summary:
    "a first answer 4xx (the provider refused the prompt) is not stored: the retry asks the provider again",
  policy: {
    afterAnswer: (status) => (status !== undefined && status >= 400 ? "release" : REF.afterAnswer(status)),
  },
});
