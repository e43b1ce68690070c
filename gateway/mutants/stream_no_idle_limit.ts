import { REFERENCE_POLICY as REF } from "../policy.ts";
import { defineMutant } from "./define.ts";

// Why it is plausible: timeouts that stop at the first byte.
export default defineMutant({
  id: "stream_no_idle_limit",
  family: "stream",
  expectedCheck: "STR-004",
  summary:
    "a committed stream has no idle timeout and outlives the deadline: a stalled provider is waited on forever",
  policy: {
    timeLimits: (o) => ({ ...REF.timeLimits(o), streamIdleMs: undefined, streamUntilDeadline: false }),
  },
});
