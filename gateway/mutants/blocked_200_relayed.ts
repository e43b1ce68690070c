import { defineMutant } from "./define.ts";

// Why it is plausible: "a 200 is a success" — the gateway relays whatever a provider answered with 200, so a
// blocked prompt (Gemini's promptFeedback.blockReason, no candidates) or a filtered answer reaches the
// client as a completion with nothing in it.
export default defineMutant({
  id: "blocked_200_relayed",
  family: "upstream",
  expectedCheck: "RETRY-002",
  summary: "a provider's 200 that blocked the prompt is relayed as a completion",
  policy: {
    completionRefusal: () => undefined,
  },
});
