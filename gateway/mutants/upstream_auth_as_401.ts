import { REFERENCE_POLICY as REF } from "../policy.ts";
import { defineMutant } from "./define.ts";

// Why it is plausible: the gateway's own bad provider key blamed on the client.
export default defineMutant({
  id: "upstream_auth_as_401",
  family: "exhaustion",
  expectedCheck: "EXH-001",
  summary: "a provider's 401 is answered as the client's 401 auth error",
  policy: {
    upstreamVerdict: (f) => (f.status === 401 ? "client_auth" : REF.upstreamVerdict(f)),
  },
});
