import { REFERENCE_POLICY as REF } from "../policy.ts";
import { defineMutant } from "./define.ts";

// Why it is plausible: an internal error code that leaked out of the validation layer.
export default defineMutant({
  id: "unlisted_code",
  family: "envelope",
  expectedCheck: "ENV-002",
  summary: "validation errors use code BAD_PARAMS, which is not in the catalogue",
  policy: {
    invalidRequest: (contract, v) => ({ ...REF.invalidRequest(contract, v), code: "BAD_PARAMS" }),
  },
});
