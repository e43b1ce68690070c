import { REFERENCE_POLICY as REF } from "../policy.ts";
import { defineMutant } from "./define.ts";

// Why it is plausible: a body reader that hangs up on zero bytes.
export default defineMutant({
  id: "empty_body_drops",
  family: "rejection",
  expectedCheck: "TRN-001",
  summary: "an empty request body drops the connection without an answer",
  policy: {
    refuseBody(contract, refusal, req) {
      if (refusal.condition === "request.malformed_json" && refusal.empty) req.socket.destroy();
      return REF.refuseBody(contract, refusal, req);
    },
  },
});
