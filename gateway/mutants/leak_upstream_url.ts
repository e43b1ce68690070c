import { REFERENCE_POLICY as REF } from "../policy.ts";
import { defineMutant } from "./define.ts";

// Why it is plausible: an internal address quoted in the error message.
export default defineMutant({
  id: "leak_upstream_url",
  family: "leak",
  expectedCheck: "LEAK-002",
  summary: "the exhaustion message names the last provider's base URL",
  policy: {
    exhaustedMessage(c, failures) {
      const last = failures.at(-1);
      const message = REF.exhaustedMessage(c, failures);
      if (!last) return message;
      return `${message} [last tried ${c.opts.upstreams.find((u) => u.name === last.provider)?.baseUrl}]`;
    },
  },
});
