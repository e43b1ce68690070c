import type { Profile } from "../../core/profile/schema.ts";
import type { Exchange, StepExchange } from "../harness/types.ts";
import { defineCheck, type Finding, type Judgement } from "./registry.ts";
import { attemptsSummary } from "./upstream.ts";
import { codeOf, describeResponse, is2xx, show } from "./util.ts";

// Idempotent replay: docs/contract.md §14 and draft-ietf-httpapi-idempotency-key-header-07
// (github.com/ietf-wg-httpapi/idempotency, draft-ietf-httpapi-idempotency-key-header.md).
const SRC = "docs/contract.md §14 Idempotent replay";
const DRAFT = "draft-ietf-httpapi-idempotency-key-header-07";

/** The answer of a scenario step, when the step ran. */
export function stepOf(ex: Exchange, name: string): (StepExchange & { exchange: Exchange }) | undefined {
  const s = ex.steps?.find((x) => x.name === name);
  return s?.exchange ? (s as StepExchange & { exchange: Exchange }) : undefined;
}

const notDeclared = (p: Profile) =>
  p.idempotency ? undefined : "the profile declares no idempotency (idempotency:)";
const level = (p: Profile) => p.idempotency?.level ?? "must";

/**
 * The first request ran to an answer the gateway must store: the draft's "previously completed
 * operation". A 2xx always; a 4xx other than 429 where the profile says errors are stored (§14).
 */
function completed(s: StepExchange | undefined, p: Profile): boolean {
  const st = s?.exchange?.status;
  if (st === undefined || st >= 500 || st === 429) return false;
  return st < 400 || p.idempotency?.replaysErrors === true;
}

/** A media type without its parameters' spacing or case: `application/json; charset=utf-8`. */
function mediaType(v: string | undefined): string {
  return (v ?? "")
    .toLowerCase()
    .replace(/\s*;\s*/g, ";")
    .trim();
}

function pair(j: Judgement, condition: string) {
  if (j.case.condition !== condition) return undefined;
  const first = stepOf(j.exchange, "first");
  const second = stepOf(j.exchange, "second");
  return first && second && second.exchange.status !== undefined ? { first, second } : undefined;
}

/** The stored answer again: status, content type and body (§14: "the stored status, body and content type"). */
function sameAnswer(a: Exchange, b: Exchange): boolean {
  if (a.status !== b.status) return false;
  if (mediaType(a.headers["content-type"]) !== mediaType(b.headers["content-type"])) return false;
  if (a.raw === b.raw) return true;
  // A replay may re-serialise its stored JSON: same value, other key order or spacing.
  return a.json !== undefined && JSON.stringify(sortKeys(a.json)) === JSON.stringify(sortKeys(b.json));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object")
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  return v;
}

/** Attempts the mock saw between the first step's answer and the second's, when the journal was read. */
function newAttempts(first: StepExchange, second: StepExchange): number | undefined {
  if (first.journalSize === undefined || second.journalSize === undefined) return undefined;
  return second.journalSize - first.journalSize;
}

function judgeReplay(
  first: StepExchange & { exchange: Exchange },
  second: StepExchange & { exchange: Exchange },
  j: Judgement,
): Finding | undefined {
  const added = newAttempts(first, second);
  if (sameAnswer(first.exchange, second.exchange) && !added) return undefined;
  const type = (ex: Exchange) => show(ex.headers["content-type"]);
  const typeDiffers =
    first.exchange.status === second.exchange.status &&
    mediaType(first.exchange.headers["content-type"]) !== mediaType(second.exchange.headers["content-type"]);
  return {
    expected: `the stored answer (${describeResponse(first.exchange)}${typeDiffers ? `, content-type ${type(first.exchange)}` : ""}) and no new upstream attempt`,
    received: `${describeResponse(second.exchange)}${typeDiffers ? `, content-type ${type(second.exchange)}` : ""}${added ? ` after ${added} new upstream attempt(s)` : ""} — attempts: ${attemptsSummary(j.exchange.journal)}`,
  };
}

/** Whether an error answer carries the code the profile maps the condition to (any code when it maps none). */
function codeMatches(
  ex: Exchange,
  p: Profile,
  condition: "idempotency.mismatch" | "idempotency.in_flight",
): boolean {
  const mapped = p.conditions[condition];
  return mapped === undefined || [mapped].flat().includes(codeOf(ex, p) as string);
}

function expectedError(
  p: Profile,
  status: number,
  condition: "idempotency.mismatch" | "idempotency.in_flight",
): string {
  const mapped = p.conditions[condition];
  return `${status}${mapped ? ` with code ${[mapped].flat().join(" or ")}` : ""}`;
}

// Draft §2.6, Retry: "The resource server SHOULD respond with the result of the previously completed
// operation, success or an error."
defineCheck({
  id: "IDEM-001",
  notDeclared,
  level,
  title: "A completed request replays with its stored answer",
  sentence:
    "Repeating a request with the same key and payload after it completed returns the stored status and body and causes no new upstream attempt.",
  source: `${SRC}; ${DRAFT} §2.6`,
  fix: "Store the status and body of the first request per client and key, and answer a repeat from the store without calling a provider.",
  applies: (j) => {
    const p = pair(j, "idempotency.replay") ?? pair(j, "idempotency.replay_error");
    return !!p && completed(p.first, j.profile);
  },
  judge: (j) => {
    const { first, second } = (pair(j, "idempotency.replay") ?? pair(j, "idempotency.replay_error"))!;
    return judgeReplay(first, second, j);
  },
});

// Draft §2.7: "If there is an attempt to reuse an idempotency key with a different request payload, the
// resource server SHOULD reply with a HTTP 422 status code"; Stripe answers 400.
defineCheck({
  id: "IDEM-002",
  notDeclared,
  level,
  title: "A reused key with another payload is rejected",
  sentence:
    "The same key with another payload is rejected with the profile's mismatch status (IETF draft: 422; Stripe: 400).",
  source: `${SRC}; ${DRAFT} §2.7`,
  fix: "Keep a fingerprint of the payload with each key and reject a different payload under the same key with the documented status.",
  applies: (j) => {
    const p = pair(j, "idempotency.mismatch");
    return !!p && completed(p.first, j.profile);
  },
  judge: (j) => {
    const { first, second } = pair(j, "idempotency.mismatch")!;
    const p = j.profile;
    const want = p.idempotency!.mismatchStatus;
    const added = newAttempts(first, second);
    if (second.exchange.status === want && codeMatches(second.exchange, p, "idempotency.mismatch") && !added)
      return undefined;
    return {
      expected: `${expectedError(p, want, "idempotency.mismatch")}, without calling a provider`,
      received: `${describeResponse(second.exchange)}${added ? ` after ${added} new upstream attempt(s)` : ""}`,
    };
  },
});

/**
 * The most successful answers one provider gave: each execution tries the providers in order and stops at
 * its first success, so one provider answering twice means the request ran twice. Counting per provider,
 * not overall, keeps a legitimate failover apart: under load the held first provider may still finish its
 * answer just as the gateway gives up on it and asks the next one (docs/contract.md §14).
 */
/**
 * Two attempts at one provider open at once: the later arrived before the earlier was answered or
 * abandoned. One execution asks providers one at a time, so this is a request run twice concurrently.
 */
function overlapping(ex: Exchange): string | undefined {
  const journal = [...(ex.journal ?? [])].sort((a, b) => a.receivedAt - b.receivedAt);
  for (const [i, a] of journal.entries()) {
    const b = journal.slice(i + 1).find((x) => x.provider === a.provider);
    if (b && b.receivedAt < (a.answeredAt ?? Number.POSITIVE_INFINITY))
      return `${a.provider}#${a.attempt} and ${b.provider}#${b.attempt} were open at the same time`;
  }
  return undefined;
}

function successfulAttempts(ex: Exchange): number {
  const perProvider = new Map<string, number>();
  for (const e of ex.journal ?? [])
    if (e.outcome === "answered" && e.status !== undefined && e.status < 300)
      perProvider.set(e.provider, (perProvider.get(e.provider) ?? 0) + 1);
  return Math.max(0, ...perProvider.values());
}

// Draft §2.6, Concurrent Request: "The request was retried before the original request completed. The
// resource server MUST respond with a resource conflict error."
defineCheck({
  id: "IDEM-003",
  notDeclared,
  level,
  title: "A duplicate in flight is refused, never executed twice",
  sentence:
    "A duplicate while the first is in flight gets 409 or the stored result — never a second upstream attempt.",
  source: `${SRC}; ${DRAFT} §2.6`,
  fix: "Record the key as in flight before calling a provider; answer a duplicate 409 (or wait and answer the stored result).",
  applies: (j) => !!pair(j, "idempotency.in_flight"),
  judge: ({ exchange, profile: p }) => {
    const first = stepOf(exchange, "first")!;
    const second = stepOf(exchange, "second")!;
    const want = p.idempotency!.conflictStatus;
    const conflict = (ex: Exchange) => ex.status === want && codeMatches(ex, p, "idempotency.in_flight");
    // Either may be the one refused: under load the duplicate can reach the gateway first.
    const refused = conflict(first.exchange) !== conflict(second.exchange);
    const replayed = first.exchange.status !== undefined && sameAnswer(first.exchange, second.exchange);
    const ok = successfulAttempts(exchange);
    const twice = overlapping(exchange);
    if ((refused || replayed) && ok <= 1 && !twice) return undefined;
    return {
      expected: `${expectedError(p, want, "idempotency.in_flight")} or the first request's answer, at most one successful answer per provider, and never two attempts of one request at once`,
      received: `${describeResponse(second.exchange)}; ${ok} successful answers from one provider${twice ? `; ${twice}` : ""} — attempts: ${attemptsSummary(exchange.journal)}`,
    };
  },
});

// Draft §5: "implement a unique composite key as the idempotent cache lookup key ... combining the
// idempotency key sent by the client with other client specific attributes known only to the resource server."
defineCheck({
  id: "IDEM-004",
  notDeclared,
  level,
  title: "Idempotency keys are scoped to the client",
  sentence: "Keys are scoped to the client credential.",
  source: `${SRC}; ${DRAFT} §5`,
  fix: "Key the idempotency store by the authenticated client and the key together, never by the key alone.",
  applies: (j) => {
    const p = pair(j, "idempotency.scope");
    return !!p && completed(p.first, j.profile);
  },
  judge: ({ exchange }) => {
    const first = stepOf(exchange, "first")!;
    const second = stepOf(exchange, "second")!;
    const added = newAttempts(first, second);
    const leaked = sameAnswer(first.exchange, second.exchange);
    if (!leaked && added !== 0 && is2xx(second.exchange.status)) return undefined;
    return {
      expected: "the other client's own answer from its own upstream attempt",
      received: `${leaked ? "the first client's stored answer: " : ""}${describeResponse(second.exchange)}${added === 0 ? " with no upstream attempt of its own" : ""}`,
    };
  },
});

// Draft §2.1: "Idempotency-Key is an Item Structured Header [RFC8941]. Its value MUST be a String."
defineCheck({
  id: "IDEM-005",
  notDeclared,
  level: "should",
  title: "Quoted and bare key forms name the same key",
  sentence: "Quoted and unquoted key forms (the IETF draft uses a quoted sf-string, Stripe does not).",
  source: `${SRC}; issue 4 (Idempotent replay); ${DRAFT} §2.1`,
  fix: "Parse the header as an RFC 8941 sf-string when it starts with a double quote, and use the bare value otherwise.",
  applies: (j) => {
    const p = pair(j, "idempotency.key_forms");
    return !!p && completed(p.first, j.profile);
  },
  judge: (j) => {
    const { first, second } = pair(j, "idempotency.key_forms")!;
    const f = judgeReplay(first, second, j);
    return (
      f && {
        ...f,
        received: `${f.received} (first key ${show(first.exchange.request.headers[j.profile.idempotency!.header.toLowerCase()])}, then ${show(second.exchange.request.headers[j.profile.idempotency!.header.toLowerCase()])})`,
      }
    );
  },
});

// docs/contract.md §14: "after a 5xx or 429 a retry with the same key may replay or run again, but never
// twice at once". Stripe: "Retries with the same key return the saved response, including 500 errors";
// the draft (§2.6) leaves a failed first request to the server. What neither allows: a key that stays
// locked, so that every retry is refused as if the first were still running.
defineCheck({
  id: "IDEM-006",
  notDeclared,
  level,
  title: "A retry after a failed request is replayed or run again",
  sentence:
    "After a 5xx or 429 (or a 4xx the profile does not store) a retry with the same key replays that answer or runs again — never refused as a duplicate in flight or as a mismatch.",
  source:
    "docs/contract.md §14 Idempotent replay; Stripe API reference, Idempotent requests; draft-ietf-httpapi-idempotency-key-header-07 §2.6",
  fix: "Release the key when the first request ends without a stored answer (5xx, 429), or store that answer and replay it; never leave the key marked in flight.",
  applies: (j) => {
    const p = pair(j, "idempotency.retry_failed") ?? pair(j, "idempotency.replay_error");
    return !!p && p.first.exchange.status !== undefined && !completed(p.first, j.profile);
  },
  judge: (j) => {
    const { first, second } = (pair(j, "idempotency.retry_failed") ?? pair(j, "idempotency.replay_error"))!;
    const p = j.profile;
    const replayed = sameAnswer(first.exchange, second.exchange);
    const conflict = second.exchange.status === p.idempotency!.conflictStatus;
    const mismatch = second.exchange.status === p.idempotency!.mismatchStatus && !replayed;
    const added = newAttempts(first, second);
    // A run of its own shows in the journal; without a journal reading, any answer but a refusal counts.
    const ranAgain = added === undefined ? !conflict && !mismatch : added > 0;
    if (!conflict && !mismatch && (replayed || ranAgain)) return undefined;
    return {
      expected: `the first answer (${describeResponse(first.exchange)}) replayed, or the request run again`,
      received: `${describeResponse(second.exchange)}${added === 0 ? " with no upstream attempt of its own" : ""} — attempts: ${attemptsSummary(j.exchange.journal)}`,
    };
  },
});
