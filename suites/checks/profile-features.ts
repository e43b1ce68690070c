import { getPath, hasPath } from "../../core/json-path.ts";
import { providerRetryAfterS } from "./amplification.ts";
import { defineCheck } from "./registry.ts";
import { parseRetryAfter } from "./retry-after.ts";
import { codeOf, isError, show } from "./util.ts";

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

defineCheck({
  id: "RID-001",
  notDeclared: (p) =>
    p.envelope.requestId ? undefined : "the profile declares no request id (envelope.requestId)",
  level: (p) => p.requestId?.level ?? "info",
  title: "Every error carries a request id",
  sentence: "Every error response includes a unique request ID that can be used for debugging.",
  source: "docs/contract.md §13 Request id; meta-envelope gateway's Error Codes reference",
  fix: "Generate a request id for every request and write it into every error envelope.",
  applies: (j) =>
    !!j.profile.envelope.requestId && isError(j.exchange.status) && j.exchange.json !== undefined,
  judge({ exchange: ex, profile: p }) {
    const id = getPath(ex.json, p.envelope.requestId!);
    return typeof id === "string" && id.trim() !== ""
      ? undefined
      : { expected: `${p.envelope.requestId}: a non-empty string`, received: show(id) };
  },
});

defineCheck({
  id: "RID-002",
  notDeclared: (p) =>
    p.envelope.requestId ? undefined : "the profile declares no request id (envelope.requestId)",
  level: (p) => p.requestId?.level ?? "info",
  title: "Request ids are unique",
  sentence: "Every error response includes a unique request ID.",
  source: "docs/contract.md §13 Request id; meta-envelope gateway's Error Codes reference",
  fix: "Derive request ids from a random or monotonic source per request, never from a constant or a cache.",
  applies: (j) =>
    !!j.profile.envelope.requestId &&
    isError(j.exchange.status) &&
    typeof getPath(j.exchange.json, j.profile.envelope.requestId) === "string",
  judge({ exchange: ex, profile: p, run }) {
    const id = getPath(ex.json, p.envelope.requestId!) as string;
    const first = run?.requestIds.get(id);
    if (first !== undefined) {
      return {
        expected: "a request id no other response carried",
        received: `${show(id)}, already carried by ${first}`,
      };
    }
    run?.requestIds.set(id, `${ex.request.method} ${ex.request.path} (${ex.status})`);
    return undefined;
  },
});

defineCheck({
  id: "TS-001",
  notDeclared: (p) =>
    p.envelope.timestamp ? undefined : "the profile declares no timestamp (envelope.timestamp)",
  level: "must",
  title: "Error timestamps are ISO 8601",
  sentence: "meta.timestamp is ISO 8601.",
  source:
    "docs/contract.md, built-in profiles (meta-envelope); meta-envelope gateway's Error Codes reference",
  fix: 'Write timestamps with Date.prototype.toISOString() ("2024-01-01T00:00:00Z").',
  applies: (j) =>
    !!j.profile.envelope.timestamp && isError(j.exchange.status) && j.exchange.json !== undefined,
  judge({ exchange: ex, profile: p }) {
    const ts = getPath(ex.json, p.envelope.timestamp!);
    return typeof ts === "string" && ISO_8601.test(ts) && !Number.isNaN(Date.parse(ts))
      ? undefined
      : { expected: `${p.envelope.timestamp}: an ISO 8601 date-time`, received: show(ts) };
  },
});

defineCheck({
  id: "FIELD-001",
  notDeclared: (p) =>
    p.envelope.field && Object.keys(p.fieldCodes).length
      ? undefined
      : "the profile declares no field-specific codes (fieldCodes, envelope.field)",
  level: "must",
  title: "Field errors name their field",
  sentence:
    "Field errors name details.field (INVALID_TEMPERATURE for temperature outside 0..2, INVALID_MAX_TOKENS for ≤ 0).",
  source: "docs/contract.md, built-in profiles (meta-envelope and data-envelope)",
  fix: "When one field fails validation, answer its field-specific code and name the field in the envelope.",
  applies: (j) => !!j.case.expectField && !!j.profile.envelope.field && isError(j.exchange.status),
  judge({ exchange: ex, profile: p, case: c }) {
    const field = getPath(ex.json, p.envelope.field!);
    const code = codeOf(ex, p);
    const codeOk = !c.expectCodes || c.expectCodes.includes(String(code));
    const fieldOk =
      typeof field === "string" && (field === c.expectField || field.endsWith(`.${c.expectField}`));
    return codeOk && fieldOk
      ? undefined
      : {
          expected: `${c.expectCodes?.join(" or ") ?? "a field code"} naming ${p.envelope.field} = ${show(c.expectField)}`,
          received: `${show(code)} with ${p.envelope.field} = ${show(field)}`,
        };
  },
});

defineCheck({
  id: "ENV-005",
  notDeclared: (p) =>
    Object.values(p.catalogue).some((e) => e.requires?.length)
      ? undefined
      : "no catalogue entry declares required fields (requires)",
  level: "must",
  title: "Codes carry their required fields",
  sentence: "CONCURRENT_GENERATION_LIMIT carries active_requests and concurrency_limit.",
  source: "docs/contract.md, built-in profiles (data-envelope); data-envelope gateway's Errors guide",
  fix: "Add the documented extra fields to this code's envelope.",
  applies: (j) =>
    isError(j.exchange.status) && !!j.profile.catalogue[String(codeOf(j.exchange, j.profile))]?.requires,
  judge({ exchange: ex, profile: p }) {
    const code = String(codeOf(ex, p));
    const missing = p.catalogue[code]!.requires!.filter((f) => !hasPath(ex.json, f));
    return missing.length
      ? { expected: `${code} with ${missing.join(", ")}`, received: show(ex.json) }
      : undefined;
  },
});

defineCheck({
  id: "HINT-001",
  notDeclared: (p) =>
    p.envelope.hints?.retryable
      ? undefined
      : "the profile declares no retryable hint (envelope.hints.retryable)",
  level: "must",
  title: "The retryable hint agrees with the status",
  sentence: "retryable agrees with the status (429/5xx true, other 4xx false).",
  source: "docs/contract.md, built-in profiles (lemondata); LemonData API docs, Error Codes",
  fix: "Derive `retryable` from the status you answer, not from the code path that produced it.",
  applies: (j) =>
    !!j.profile.envelope.hints?.retryable &&
    isError(j.exchange.status) &&
    getPath(j.exchange.json, j.profile.envelope.hints.retryable) !== undefined,
  judge({ exchange: ex, profile: p }) {
    const path = p.envelope.hints!.retryable!;
    const want = ex.status === 429 || ex.status! >= 500;
    const got = getPath(ex.json, path);
    return got === want
      ? undefined
      : { expected: `${path}: ${want} for status ${ex.status}`, received: `${path}: ${show(got)}` };
  },
});

defineCheck({
  id: "HINT-002",
  notDeclared: (p) =>
    p.envelope.hints?.didYouMean
      ? undefined
      : "the profile declares no did_you_mean hint (envelope.hints.didYouMean)",
  level: "should",
  title: "did_you_mean names a real model",
  sentence: "did_you_mean should name a real model.",
  source: "docs/contract.md, built-in profiles (lemondata)",
  fix: "Suggest only models from the catalogue the caller can use.",
  applies: (j) =>
    !!j.profile.envelope.hints?.didYouMean &&
    isError(j.exchange.status) &&
    getPath(j.exchange.json, j.profile.envelope.hints.didYouMean) !== undefined,
  judge({ exchange: ex, profile: p, target: t, run }) {
    const path = p.envelope.hints!.didYouMean!;
    const got = getPath(ex.json, path);
    const names = [got].flat();
    const served = new Set([t.model, ...(run?.models ?? [])]);
    const bogus = names.filter((n) => typeof n !== "string" || !served.has(n));
    return bogus.length
      ? { expected: `${path}: one of ${[...served].join(", ")}`, received: `${path}: ${show(got)}` }
      : undefined;
  },
});

defineCheck({
  id: "RA-003",
  level: "should",
  title: "Upstream Retry-After is honoured",
  sentence:
    "If the gateway retries the same provider after a 429/503 (or any error) with Retry-After N, the journal shows no retry before N seconds.",
  source: "docs/contract.md §10 Honouring upstream Retry-After; docs/contract.md §23",
  fix: "Move to another provider, or wait at least Retry-After before asking the same provider again.",
  applies: (j) => (j.exchange.journal?.length ?? 0) > 1,
  judge({ exchange: ex }) {
    const journal = [...ex.journal!].sort((a, b) => a.receivedAt - b.receivedAt);
    for (const [i, e] of journal.entries()) {
      // Anthropic's 529 and a 503 or 500 told to wait count too (§23: "never retries a provider before
      // the Retry-After it gave"), not only the 429.
      const waitS = providerRetryAfterS(e);
      if (waitS === undefined) continue;
      const next = journal.slice(i + 1).find((x) => x.provider === e.provider);
      // 50 ms of slack for clocks and the mock's own answer time.
      if (next && next.receivedAt - e.receivedAt < waitS * 1000 - 50) {
        return {
          expected: `no retry of ${e.provider} within ${waitS} s of its Retry-After`,
          received: `${e.provider} retried after ${next.receivedAt - e.receivedAt} ms`,
        };
      }
    }
    return undefined;
  },
});

export { parseRetryAfter };
