import { REFERENCE_POLICY as REF } from "../policy.ts";
import { defineMutant } from "./define.ts";

// Why it is plausible: a code path for "every provider failed fast" that forgets to answer.
export default defineMutant({
  id: "exhaustion_no_answer",
  family: "exhaustion",
  expectedCheck: "EXH-001",
  summary: "when every provider fails fast (no timeout), the connection is dropped without an answer",
  policy: {
    answerExhausted(c, chat, failures) {
      if (failures.some((f) => f.timedOut)) return REF.answerExhausted(c, chat, failures);
      c.reply.res.destroy();
    },
  },
});
