import { getPath } from "../../core/json-path.ts";
import { dialect, dialectIds } from "../../mocks/dialects/index.ts";
import { ERROR_KINDS } from "../../mocks/dialects/types.ts";
import type { JournalEntry } from "../../mocks/journal.ts";
import { defineCheck } from "./registry.ts";
import { codeAccepted, codeOf, completionText, describeResponse, is2xx, show } from "./util.ts";

const OK_STEPS = new Set(["ok", "latency", "slow_stream"]);

/** The texts an answer may carry: one per provider attempt the mock answered successfully. */
export function okTexts(journal: JournalEntry[] | undefined): string[] {
  return (journal ?? [])
    .filter((e) => OK_STEPS.has(e.step.step) && (e.status === undefined || e.status === 200))
    .map(
      (e) =>
        e.completionText ?? (typeof e.step.text === "string" ? e.step.text : `Hello from ${e.provider}.`),
    );
}

let markers: string[] | undefined;
/** The messages the mock's providers put in their error bodies: a gateway must not pass them through. */
export function providerErrorMessages(): string[] {
  if (markers) return markers;
  const found = new Set<string>();
  for (const id of dialectIds()) {
    const d = dialect(id);
    for (const kind of ERROR_KINDS) {
      const r = d.error(kind, {
        provider: "p",
        model: "m",
        stream: false,
        requestId: "r",
        text: "",
        nowS: 0,
      });
      const body = r.body ? (JSON.parse(r.body) as unknown) : undefined;
      const msg = getPath(body, "error.message");
      if (typeof msg === "string" && msg.length >= 12) found.add(msg);
    }
  }
  markers = [...found];
  return markers;
}

export function attemptsSummary(journal: JournalEntry[] | undefined): string {
  return (journal ?? []).map((e) => `${e.provider}#${e.attempt}:${e.step.step}`).join(", ") || "no attempts";
}

defineCheck({
  id: "FO-001",
  level: "must",
  title: "Failover answers with a later provider's completion",
  sentence:
    "When an earlier provider fails with upstream.retryable or upstream.auth and a later one answers, the gateway answers 2xx with that completion.",
  source: "docs/contract.md §6 Failover",
  fix: "Treat 429, 5xx, 529, timeouts, resets, empty and unparseable answers and provider 401/403 as retryable and move to the next provider.",
  applies: (j) => j.case.condition === "upstream.failover",
  judge({ exchange: ex, profile: p }) {
    const texts = okTexts(ex.journal);
    const text = completionText(ex, p);
    if (is2xx(ex.status) && text !== undefined && texts.includes(text)) return undefined;
    return {
      expected: `2xx with the completion ${texts.map((t) => JSON.stringify(t)).join(" or ") || "(no provider answered ok: the gateway stopped early)"}`,
      received: `${describeResponse(ex)} — attempts: ${attemptsSummary(ex.journal)}`,
    };
  },
});

const EXHAUSTED = new Set(["upstream.exhausted", "upstream.all_hang"]);

defineCheck({
  id: "EXH-001",
  level: "must",
  title: "Exhaustion answers the profile's exhaustion code",
  sentence:
    "When every provider fails with upstream.retryable, the gateway answers the profile's exhaustion code — never 2xx, never a client-side code (an upstream.auth from the provider is not the client's 401).",
  source: "docs/contract.md §7 Exhaustion",
  fix: "When the last provider fails, answer the documented exhaustion error instead of the last provider's error.",
  // No answer at all when every provider failed fast is an exhaustion failure too; when every provider
  // hangs, no answer in time is DL-001's finding.
  applies: (j) =>
    j.case.condition === "upstream.exhausted" ||
    (EXHAUSTED.has(j.case.condition) && j.exchange.status !== undefined),
  judge({ exchange: ex, profile: p }) {
    const { codes, statuses } = p.exhaustion;
    if (ex.status === undefined)
      return {
        expected: `${codes.join(" or ")} with status ${statuses.join(" or ")}`,
        received: `${describeResponse(ex)} — attempts: ${attemptsSummary(ex.journal)}`,
      };
    const code = codeOf(ex, p);
    if (codeAccepted(p, code, codes) && statuses.includes(ex.status!)) return undefined;
    return {
      expected: `${codes.join(" or ")} with status ${statuses.join(" or ")}`,
      received: `${show(code)} (${ex.status}) — attempts: ${attemptsSummary(ex.journal)}`,
    };
  },
});

defineCheck({
  id: "EXH-002",
  level: "must",
  title: "Exhaustion never passes a provider's body through",
  sentence: "When every provider fails, the answer is never a provider's raw body.",
  source: "docs/contract.md §7 Exhaustion",
  fix: "Build the exhaustion answer yourself; log the providers' errors, do not forward them.",
  applies: (j) => EXHAUSTED.has(j.case.condition) && j.exchange.status !== undefined,
  judge({ exchange: ex }) {
    const leaked = providerErrorMessages().find((m) => ex.raw.includes(m));
    return leaked
      ? { expected: "the gateway's own error", received: `a provider's message: ${show(leaked)}` }
      : undefined;
  },
});

defineCheck({
  id: "UPS-001",
  level: "must",
  title: "Non-retryable upstream errors keep the provider's status",
  sentence: "upstream.non_retryable yields the profile's upstream error code with the provider's status.",
  source: "docs/contract.md §8 Non-retryable upstream errors",
  fix: "Do not fail over on a provider's 4xx (content policy, context length); answer the upstream error code with its status.",
  applies: (j) =>
    j.case.condition === "upstream.non_retryable" &&
    j.exchange.status !== undefined &&
    // A blocked prompt relayed as the provider's own 200, block and all, is RETRY-002's to judge (§29).
    !(is2xx(j.exchange.status) && (j.exchange.journal ?? []).some((e) => e.step.step === "prompt_blocked")),
  judge({ exchange: ex, profile: p, case: c }) {
    const code = codeOf(ex, p);
    const want = p.upstreamError.status === "provider" ? c.expectStatus : [p.upstreamError.status];
    // A profile may list several codes for the condition, e.g. the provider's own codes passed through.
    const codes = [
      ...new Set([p.upstreamError.code, ...[p.conditions["upstream.non_retryable"] ?? []].flat()]),
    ];
    if (codeAccepted(p, code, codes) && (!want || want.includes(ex.status!))) return undefined;
    return {
      expected: `${codes.join(" or ")}${want ? ` with status ${want.join(" or ")}` : ""}`,
      received: `${show(code)} (${ex.status})`,
    };
  },
});

const REFUSALS = new Set(["content_policy", "context_length", "prompt_blocked"]);

defineCheck({
  id: "UPS-002",
  level: "must",
  title: "No failover after a non-retryable error",
  sentence: "After upstream.non_retryable, the journal shows no attempt at another provider.",
  source: "docs/contract.md §8 Non-retryable upstream errors",
  fix: "Stop at a provider's content-policy or context-length error: another provider would refuse it too, and cost money.",
  applies: (j) => j.case.condition === "upstream.non_retryable" && !!j.exchange.journal?.length,
  judge({ exchange: ex }) {
    // A blocked prompt behind a 200 is the same refusal in another form (docs/contract.md §29).
    const first = ex.journal!.find((e) => REFUSALS.has(e.step.step));
    if (!first) return undefined;
    const others = ex.journal!.filter((e) => e.provider !== first.provider && e.seq > first.seq);
    return others.length
      ? {
          expected: `no attempt after ${first.provider}'s ${first.step.step}`,
          received: attemptsSummary(ex.journal),
        }
      : undefined;
  },
});

defineCheck({
  id: "DL-001",
  level: "must",
  title: "Answers within the deadline when every provider hangs",
  sentence: "The gateway answers within the profile's deadline even when every provider hangs.",
  source: "docs/contract.md §11 Deadline",
  fix: "Give every upstream attempt a timeout and the whole request a deadline; answer the exhaustion error when it passes.",
  applies: (j) => j.case.condition === "upstream.all_hang",
  judge({ exchange: ex, profile: p, target: t }) {
    const deadline = t.deadlineMs ?? p.deadlineMs;
    if (ex.status !== undefined && ex.elapsedMs <= deadline) return undefined;
    return {
      expected: `an answer within ${deadline} ms`,
      received:
        ex.status === undefined
          ? `no answer after ${ex.elapsedMs} ms (${ex.error?.code})`
          : `${ex.status} after ${ex.elapsedMs} ms`,
    };
  },
});
