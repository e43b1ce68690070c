import { refusalBehind200 } from "../retryability.ts";
import { defineMutant } from "./define.ts";

// Why it is plausible: "a 200 is a success" — the gateway takes a provider's blocked or filtered 200 for an
// empty completion and hands it on as a normal one, finish_reason "stop", so the client cannot tell its
// prompt was refused.
export default defineMutant({
  id: "blocked_200_relayed",
  family: "upstream",
  expectedCheck: "RETRY-002",
  summary: "a provider's 200 that blocked the prompt is relayed as a plain, empty completion",
  policy: {
    completionRefusal: (answer) => {
      if (!refusalBehind200(answer) || !Array.isArray(answer.choices)) return { relay: answer };
      const plain = answer.choices.map((c: Record<string, unknown>) => ({
        ...c,
        finish_reason: "stop",
        ...("message" in c ? { message: { role: "assistant", content: "" } } : {}),
        ...("delta" in c ? { delta: { role: "assistant", content: "" } } : {}),
      }));
      return { relay: { ...answer, choices: plain } };
    },
  },
});
