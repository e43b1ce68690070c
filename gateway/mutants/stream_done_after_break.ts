import { REFERENCE_POLICY as REF } from "../policy.ts";
import { defineMutant } from "./define.ts";

// Why it is plausible: a relay that always writes the terminator in its finally block.
export default defineMutant({
  id: "stream_done_after_break",
  family: "stream",
  expectedCheck: "STR-002",
  summary: "a broken upstream stream ends with data: [DONE] after the error event",
  policy: {
    streamErrorFrames: (encoder, body, spec) => REF.streamErrorFrames(encoder, body, spec) + encoder.close(),
  },
});
