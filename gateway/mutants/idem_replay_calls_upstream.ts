import { REFERENCE_POLICY as REF } from "../policy.ts";
import { defineMutant } from "./define.ts";

// Why it is plausible: a key store that records keys but never the answers.
export default defineMutant({
  id: "idem_replay_calls_upstream",
  family: "idempotency",
  expectedCheck: "IDEM-001",
  profile: "data-envelope",
  summary: "a repeated Idempotency-Key after completion is executed again instead of replayed",
  policy: {
    repeatAction: (seen) => (REF.repeatAction(seen) === "replay" ? "run" : REF.repeatAction(seen)),
  },
});
