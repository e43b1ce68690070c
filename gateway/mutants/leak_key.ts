import { REFERENCE_POLICY as REF } from "../policy.ts";
import { defineMutant } from "./define.ts";

// Why it is plausible: a debugging aid left in the error message.
export default defineMutant({
  id: "leak_key",
  family: "leak",
  expectedCheck: "LEAK-001",
  summary: "the exhaustion message quotes the upstream Authorization header",
  policy: {
    exhaustedMessage(c, failures) {
      const last = failures.at(-1);
      const message = REF.exhaustedMessage(c, failures);
      return last ? `${message} [sent Authorization: Bearer ${c.opts.upstreamKey(last.provider)}]` : message;
    },
  },
});
