import { REFERENCE_POLICY as REF } from "../policy.ts";
import { defineMutant } from "./define.ts";

// Why it is plausible: an empty object where the documentation promises null.
export default defineMutant({
  id: "data_not_null",
  family: "envelope",
  expectedCheck: "ENV-001",
  profile: "data-envelope",
  summary: "errors carry data: {} instead of data: null",
  policy: {
    envelopeValues(...a) {
      const v = REF.envelopeValues(...a);
      return "data" in v.fixed ? { ...v, fixed: { ...v.fixed, data: {} } } : v;
    },
  },
});
