import { REFERENCE_POLICY as REF } from "../policy.ts";
import { defineMutant } from "./define.ts";

// Why it is plausible: an error renderer that never got the request's id.
export default defineMutant({
  id: "no_request_id",
  family: "request-id",
  expectedCheck: "RID-001",
  profile: "meta-envelope",
  summary: "errors carry no meta.request_id",
  policy: {
    envelopeValues: (...a) => ({ ...REF.envelopeValues(...a), requestId: undefined }),
  },
});
