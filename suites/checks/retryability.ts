import type { JournalEntry } from "../../mocks/journal.ts";
import { defineCheck } from "./registry.ts";
import { attemptsSummary, okTexts } from "./upstream.ts";
import { completionText, describeResponse, is2xx } from "./util.ts";

/**
 * Whether a provider's error answer says that asking it again cannot succeed: its account is out of money
 * or quota (OpenAI's `insufficient_quota`, Anthropic's `enforced_spend_limit_reached`, Gemini's 402), or it
 * sent `x-should-retry: false`. Read from the step the mock's journal records.
 */
export function spentAttempt(e: JournalEntry): boolean {
  if (e.status === undefined || e.status < 400) return false;
  if (e.step.shouldRetry === false || e.step.step === "quota_exhausted") return true;
  // On the other dialects the variant is a quota window that reopens (per minute, per day), not spent money.
  return e.step.step === "rate_limit" && e.step.variant === "insufficient_quota" && e.dialect === "openai";
}

/** Whether a provider answered 200 with no completion: the prompt was blocked (mocks/dialects/blocked.ts). */
/**
 * Whether an answer tells its client, in the client's dialect, that the provider blocked or filtered it:
 * OpenAI's finish_reason content_filter, Anthropic's stop_reason refusal, Gemini's promptFeedback.blockReason
 * or a safety finishReason (GenerateContentResponse; FinishReason SAFETY, PROHIBITED_CONTENT, BLOCKLIST,
 * SPII). Read from the raw body, so JSON and every event of a stream count alike.
 */
export function blockVisible(raw: string): boolean {
  return /"finish_reason"\s*:\s*"content_filter"|"stop_reason"\s*:\s*"refusal"|"blockReason"\s*:\s*"[A-Z_]+"|"finishReason"\s*:\s*"(SAFETY|PROHIBITED_CONTENT|BLOCKLIST|SPII)"/.test(
    raw,
  );
}

export function blockedAttempt(e: JournalEntry): boolean {
  return e.step.step === "prompt_blocked" && e.status === 200;
}

function describeSpent(e: JournalEntry): string {
  return e.step.shouldRetry === false
    ? `x-should-retry: false (${e.status})`
    : `a spent quota (${e.status} ${e.step.step})`;
}

defineCheck({
  id: "RETRY-001",
  level: "must",
  title: "A spent quota is not asked again",
  sentence:
    "An attempt answered with a spent quota or x-should-retry: false is not followed by another attempt at the same provider within that request; failing over to another provider is allowed.",
  source:
    "docs/contract.md §29 Retryability beyond the status code; OpenAI help center, Troubleshooting API rate limits and 429 errors; Claude API docs, Rate limits (spend limits)",
  fix: "Read the body and headers of a provider's 429/402, not only its status: insufficient_quota, enforced_spend_limit_reached, a 402 and x-should-retry: false mean this provider cannot answer now; move on to the next provider instead of retrying it.",
  // A multi-request case (idempotency, tasks) shares one plan between several client requests.
  applies: (j) => !j.case.scenario && (j.exchange.journal ?? []).some(spentAttempt),
  judge({ exchange: ex }) {
    const journal = ex.journal!;
    for (const spent of journal.filter(spentAttempt)) {
      const again = journal.filter((e) => e.provider === spent.provider && e.seq > spent.seq);
      if (again.length)
        return {
          expected: `no attempt at ${spent.provider} after its ${describeSpent(spent)}`,
          received: `${again.length} more attempt${again.length > 1 ? "s" : ""} at ${spent.provider} — attempts: ${attemptsSummary(journal)}`,
        };
    }
    return undefined;
  },
});

defineCheck({
  id: "RETRY-002",
  level: "must",
  title: "A blocked prompt is not passed off as a completion",
  sentence:
    "A provider's 200 that carries no completion (a blocked prompt: no candidates, finish_reason content_filter, stop_reason refusal) is not passed off as a plain 2xx completion: the gateway answers the profile's upstream error code, or a 2xx that says the block in the client's dialect.",
  source:
    "docs/contract.md §29 Retryability beyond the status code, §5 No error behind a 200; Gemini API reference, GenerateContentResponse.promptFeedback",
  fix: "Check a provider's 200 before handing it on: no candidates with promptFeedback.blockReason, or a choice with finish_reason content_filter and no content, is the provider refusing the prompt; answer it like a content-policy 400.",
  applies: (j) =>
    !j.case.scenario && j.exchange.status !== undefined && (j.exchange.journal ?? []).some(blockedAttempt),
  judge({ exchange: ex, profile: p }) {
    if (!is2xx(ex.status)) return undefined;
    // A later provider's own completion is a failover, which §8 judges (UPS-001), not a passed-off block.
    const text = completionText(ex, p);
    if (text !== undefined && okTexts(ex.journal).includes(text)) return undefined;
    // The block relayed in the client's own dialect is no disguise: OpenAI itself answers a filtered
    // completion 200 with finish_reason content_filter, and Anthropic a refusal 200 with stop_reason refusal.
    if (blockVisible(ex.raw ?? "")) return undefined;
    return {
      expected: `the upstream error code ${p.upstreamError.code}, or a 2xx that says the prompt was blocked in the client's dialect (finish_reason content_filter, stop_reason refusal, promptFeedback.blockReason, finishReason SAFETY); not a plain completion`,
      received: `${describeResponse(ex)} — attempts: ${attemptsSummary(ex.journal)}`,
    };
  },
});
