import type { JournalEntry } from "../../mocks/journal.ts";
import { defineCheck } from "./registry.ts";

/** The attempts one request may make at one provider when the profile sets no total (§23: "default: 2 per provider"). */
export const MAX_ATTEMPTS_PER_PROVIDER = 2;

/**
 * The Retry-After (s) a provider's attempt asked for, as the mock's journal records its step: any error
 * answer may carry one (429, 503, Anthropic's 529, a 500 told to), and `rate_limit` carries one by default.
 */
export function providerRetryAfterS(e: JournalEntry): number | undefined {
  if (e.status === undefined || e.status < 400) return undefined;
  const mode = e.step.retryAfter ?? (e.step.step === "rate_limit" ? "seconds" : "none");
  if (mode === "none") return undefined;
  return typeof e.step.retryAfterS === "number" ? e.step.retryAfterS : 1;
}

function attemptsByProvider(journal: JournalEntry[]): Map<string, number> {
  const n = new Map<string, number>();
  for (const e of journal) n.set(e.provider, (n.get(e.provider) ?? 0) + 1);
  return n;
}

defineCheck({
  id: "AMP-001",
  level: "should",
  title: "Bounded amplification",
  sentence:
    "One client request causes at most the profile's maxAttemptsPerRequest upstream attempts (default: 2 per provider).",
  source: "docs/contract.md §23 Bounded amplification",
  fix: "Cap retries per request (and per provider); under a storm, retrying a provider that is already failing multiplies its load.",
  // A multi-request case (idempotency, tasks) shares one plan between several client requests.
  applies: (j) => !j.case.scenario && (j.exchange.journal?.length ?? 0) > 0,
  judge({ exchange: ex, profile: p }) {
    const journal = ex.journal!;
    const counts = [...attemptsByProvider(journal)].map(([name, n]) => `${n} at ${name}`).join(", ");
    if (p.maxAttemptsPerRequest !== undefined) {
      return journal.length > p.maxAttemptsPerRequest
        ? {
            expected: `at most ${p.maxAttemptsPerRequest} upstream attempts for one request (maxAttemptsPerRequest)`,
            received: `${journal.length} attempts: ${counts}`,
          }
        : undefined;
    }
    const over = [...attemptsByProvider(journal)].filter(([, n]) => n > MAX_ATTEMPTS_PER_PROVIDER);
    return over.length
      ? {
          expected: `at most ${MAX_ATTEMPTS_PER_PROVIDER} attempts per provider for one request`,
          received: `${journal.length} attempts: ${counts}`,
        }
      : undefined;
  },
});
