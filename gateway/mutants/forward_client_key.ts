import { REFERENCE_POLICY as REF } from "../policy.ts";
import { defineMutant } from "./define.ts";

// Why it is plausible: a pass-through proxy that forwards the client's own credential.
export default defineMutant({
  id: "forward_client_key",
  family: "leak",
  expectedCheck: "CRED-001",
  summary: "the client's API key is sent upstream as the provider credential",
  policy: {
    upstreamHeaders: (c, stream, u) => ({
      ...REF.upstreamHeaders(c, stream, u),
      authorization: `Bearer ${c.key}`,
    }),
  },
});
