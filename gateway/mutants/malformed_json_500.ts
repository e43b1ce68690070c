import { REFERENCE_POLICY as REF } from "../policy.ts";
import { defineMutant } from "./define.ts";

// Why it is plausible: a JSON parse exception that escapes to the generic 500 handler.
export default defineMutant({
  id: "malformed_json_500",
  family: "rejection",
  expectedCheck: "SRV-001",
  summary: "an unparseable body is answered 500",
  policy: {
    refuseBody(contract, refusal, req) {
      const spec = REF.refuseBody(contract, refusal, req);
      return refusal.condition === "request.malformed_json" ? { ...spec, status: 500 } : spec;
    },
  },
});
