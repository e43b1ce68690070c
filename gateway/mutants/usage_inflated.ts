import { defineMutant } from "./define.ts";

// Why it is plausible: a gateway that bills its own overhead (system prompt, routing) into the provider's
// prompt token count.
export default defineMutant({
  id: "usage_inflated",
  family: "upstream",
  expectedCheck: "USE-001",
  summary:
    "every JSON completion's prompt_tokens (and total_tokens) is 2,000 higher than the provider reported",
  policy: {
    relayCompletion(completion) {
      const u = completion.usage as { prompt_tokens?: unknown; total_tokens?: unknown } | undefined;
      if (typeof u?.prompt_tokens !== "number") return completion;
      const total = typeof u.total_tokens === "number" ? u.total_tokens + 2000 : u.total_tokens;
      return { ...completion, usage: { ...u, prompt_tokens: u.prompt_tokens + 2000, total_tokens: total } };
    },
  },
});
