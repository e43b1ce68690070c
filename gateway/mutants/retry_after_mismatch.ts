import { REFERENCE_POLICY as REF } from "../policy.ts";
import { defineMutant } from "./define.ts";

// Why it is plausible: the body's wait computed apart from the header's.
export default defineMutant({
  id: "retry_after_mismatch",
  family: "retry-after",
  expectedCheck: "RA-002",
  profile: "lemondata",
  summary: "the body's retry_after is 30 s longer than the Retry-After header",
  policy: {
    envelopeValues(...a) {
      const v = REF.envelopeValues(...a);
      return v.retryAfterS === undefined ? v : { ...v, retryAfterS: v.retryAfterS + 30 };
    },
  },
});
