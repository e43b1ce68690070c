import { describe, expect, it } from "vitest";
import { validateAnthropicMessages, validateOpenAiChat } from "../mocks/dialects/validate.ts";

// The checks a provider makes before a model runs: a gateway that forwards what the provider would refuse
// gets the provider's 400, as in production (docs/contract.md §19: and spends an attempt doing so).
describe("the mock refuses bodies the provider's schema refuses", () => {
  const messages = [{ role: "user", content: "hi" }];

  it("OpenAI: stream is a boolean or null", () => {
    expect(validateOpenAiChat({ model: "m", messages, stream: true })).toBeUndefined();
    expect(validateOpenAiChat({ model: "m", messages, stream: null })).toBeUndefined();
    expect(validateOpenAiChat({ model: "m", messages, stream: "yes" })?.message).toBe(
      "Invalid type for 'stream': expected a boolean, but got a string instead.",
    );
    expect(validateOpenAiChat({ model: "m", messages, max_tokens: 0 })?.kind).toBe("bad_request");
  });

  it("Anthropic: stream is a boolean", () => {
    const ok = { model: "m", max_tokens: 5, messages };
    expect(validateAnthropicMessages({ ...ok, stream: false })).toBeUndefined();
    expect(validateAnthropicMessages({ ...ok, stream: 1 })?.message).toBe(
      "stream: Input should be a valid boolean",
    );
  });
});
