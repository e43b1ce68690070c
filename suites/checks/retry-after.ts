import { getPath } from "../../core/json-path.ts";
import { defineCheck } from "./registry.ts";
import { show } from "./util.ts";

/** RFC 9110 §10.2.3: Retry-After = HTTP-date / delay-seconds. */
export function parseRetryAfter(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const s = v.trim();
  if (/^\d+$/.test(s)) return Number(s);
  // IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT"
  if (/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(s)) {
    const t = Date.parse(s);
    if (!Number.isNaN(t)) return Math.max(0, Math.ceil((t - Date.now()) / 1000));
  }
  return undefined;
}

defineCheck({
  id: "RA-001",
  level: (p) => p.retryAfter.level,
  title: "Every 429 carries Retry-After",
  sentence:
    "Every 429 (and 503 where the gateway asks clients to wait) carries Retry-After as delta-seconds or an HTTP-date (RFC 9110 §10.2.3).",
  source: "docs/contract.md §9 Retry-After; RFC 9110 §10.2.3",
  fix: "Send `Retry-After: <seconds>` with every rate-limit answer.",
  applies: (j) =>
    j.exchange.status !== undefined && j.profile.retryAfter.statuses.includes(j.exchange.status),
  judge({ exchange: ex }) {
    const v = ex.headers["retry-after"];
    return parseRetryAfter(v) === undefined
      ? {
          expected: "Retry-After: delta-seconds or an HTTP-date",
          received: v === undefined ? "no Retry-After header" : `Retry-After: ${show(v)}`,
        }
      : undefined;
  },
});

defineCheck({
  id: "RA-002",
  notDeclared: (p) =>
    p.envelope.retryAfter
      ? undefined
      : "the profile declares no retry_after body field (envelope.retryAfter)",
  level: "must",
  title: "The body's retry_after agrees with the header",
  sentence: "A body field that repeats Retry-After (retry_after) agrees with the header.",
  source: "docs/contract.md §9 Retry-After",
  fix: "Compute the wait once and write it to both the header and the body field.",
  applies: (j) =>
    !!j.profile.envelope.retryAfter &&
    j.exchange.headers["retry-after"] !== undefined &&
    j.exchange.json !== undefined,
  judge({ exchange: ex, profile: p }) {
    const body = getPath(ex.json, p.envelope.retryAfter!);
    if (body === undefined) return undefined;
    const header = parseRetryAfter(ex.headers["retry-after"]);
    return Number(body) === header
      ? undefined
      : {
          expected: `${p.envelope.retryAfter} = ${header} (the header)`,
          received: `${p.envelope.retryAfter} = ${show(body)}`,
        };
  },
});
