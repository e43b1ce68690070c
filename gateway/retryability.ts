// What a provider's answer says about asking again, beyond its status (docs/contract.md §29).
//
// The reference gateway asks each provider once per request, so "do not ask this provider again" holds by
// construction; what it has to read from an answer is whether to move on to the next provider, and
// whether a 200 is a completion at all.

/**
 * Whether a failed status is worth another provider. 408, 429 and 5xx are transient, as openai-node's
 * `shouldRetry` treats them (src/client.ts: 408, 409, 429, >= 500). 401/403 mean the provider refused the
 * gateway's own credential, and 402 that the gateway's account there is out of money (Gemini since its 2026
 * "Depleted prepay credits now return HTTP 402" update; DeepSeek, Mistral and OpenRouter too): the
 * request itself is fine and another provider may answer it. Other 4xx are about the request and would
 * fail anywhere.
 */
export function failsOver(status: number): boolean {
  if (status < 400 || status >= 500) return true;
  return [401, 402, 403, 408, 429].includes(status);
}

/**
 * Whether the provider said that asking it again cannot succeed: its account's money or quota is spent
 * (OpenAI `insufficient_quota`, Anthropic `error.details.error_code: enforced_spend_limit_reached`, a 402),
 * or `x-should-retry: false`, which openai-node and @anthropic-ai/sdk obey before the status ("If the
 * server explicitly says whether or not to retry, obey.", src/client.ts, shouldRetry).
 */
export function spentAnswer(status: number, shouldRetry: string | undefined, body: string): boolean {
  if (shouldRetry === "false" || status === 402) return true;
  if (status !== 429) return false;
  return /"(insufficient_quota|enforced_spend_limit_reached)"/.test(body);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const hasContent = (v: unknown): boolean =>
  (typeof v === "string" && v.length > 0) || (Array.isArray(v) && v.length > 0);

/**
 * Why a provider's 200 is not a completion, or undefined when it is one. A refusal behind a 200 is the
 * provider refusing the prompt, as a content-policy 400 would: Gemini's `promptFeedback.blockReason` with
 * no candidates ("If set, the prompt was blocked and no candidates are returned", GenerateContentResponse),
 * an OpenAI choice whose `finish_reason` is `content_filter` with nothing in it, an Anthropic message
 * whose `stop_reason` is `refusal` with no content. Works on a JSON body and on a stream's first event.
 */
export function refusalBehind200(answer: Record<string, unknown>): string | undefined {
  const feedback = answer.promptFeedback;
  if (isObject(feedback) && typeof feedback.blockReason === "string" && !hasContent(answer.candidates))
    return `the provider blocked the prompt (${feedback.blockReason})`;
  const choices = answer.choices;
  if (Array.isArray(choices) && choices.length > 0) {
    const filtered = choices.every((c) => {
      if (!isObject(c) || c.finish_reason !== "content_filter") return false;
      const said = isObject(c.message) ? c.message : isObject(c.delta) ? c.delta : {};
      return !hasContent(said.content) && !hasContent(said.tool_calls);
    });
    if (filtered) return "the provider's content filter took the whole answer (finish_reason content_filter)";
  }
  const message = isObject(answer.message) ? answer.message : answer;
  if (message.stop_reason === "refusal" && !hasContent(message.content))
    return "the provider refused to answer (stop_reason refusal)";
  return undefined;
}

/** The status a refusal behind a 200 is answered with: a content-policy refusal is a 400 (§8). */
export const REFUSAL_STATUS = 400;
