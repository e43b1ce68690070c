import { REFERENCE_POLICY as REF } from "../policy.ts";
import { defineMutant } from "./define.ts";

// Why it is plausible: an id generated once at start-up instead of per request.
export default defineMutant({
  id: "request_id_reused",
  family: "request-id",
  expectedCheck: "RID-002",
  profile: "meta-envelope",
  summary: "every answer carries the same meta.request_id",
  policy: {
    requestIds() {
      const reused = REF.requestIds()();
      return () => reused;
    },
  },
});
