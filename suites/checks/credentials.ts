import { fingerprint, isSecretName, MIN_SECRET_LENGTH } from "../../core/redact.ts";
import type { JournalEntry } from "../../mocks/journal.ts";
import type { Exchange, RequestSpec } from "../harness/types.ts";
import { defineCheck } from "./registry.ts";

/**
 * The credentials the client sent: every value of a credential-named header or query parameter, and each
 * whitespace-separated word of it (`Bearer <key>`, `Basic <base64>`), long enough to be a key.
 */
export function clientCredentials(requests: RequestSpec[]): string[] {
  const found = new Set<string>();
  const add = (v: string) => {
    for (const s of [v, ...v.split(/\s+/)]) if (s.length >= MIN_SECRET_LENGTH) found.add(s);
  };
  for (const r of requests) {
    for (const [name, v] of Object.entries(r.headers)) if (isSecretName(name)) add(v);
    const q = r.path.indexOf("?");
    if (q >= 0)
      for (const [name, v] of new URLSearchParams(r.path.slice(q + 1))) if (isSecretName(name)) add(v);
  }
  return [...found];
}

function requestsOf(ex: Exchange): RequestSpec[] {
  return [ex.request, ...(ex.steps ?? []).flatMap((s) => (s.exchange ? [s.exchange.request] : []))];
}

/**
 * Where a journal entry carries the credential: raw (a header the mock does not know as a secret), or as
 * the fingerprint the mock's redaction leaves (`[redacted sha256:1a2b3c4d]`).
 */
function carried(e: JournalEntry, secret: string): string | undefined {
  const fp = `sha256:${fingerprint(secret)}]`;
  const has = (text: string) => text.includes(secret) || text.includes(fp);
  for (const [name, v] of Object.entries(e.headers)) if (has(v)) return `header ${name}`;
  if (has(e.query)) return "query string";
  if (has(e.body)) return "body";
  return undefined;
}

defineCheck({
  id: "CRED-001",
  level: "must",
  title: "The client's credential never reaches a provider",
  sentence: "The credential a client sends never reaches a provider.",
  source: "docs/contract.md §18 The client's credential stays with the gateway",
  fix: "Build upstream requests from scratch with the gateway's own provider key; never copy the client's Authorization, x-api-key or key parameter upstream.",
  applies: (j) => !!j.exchange.journal?.length && clientCredentials(requestsOf(j.exchange)).length > 0,
  judge({ exchange: ex }) {
    const secrets = clientCredentials(requestsOf(ex));
    for (const e of ex.journal!) {
      for (const s of secrets) {
        const where = carried(e, s);
        // The finding names the key by its fingerprint only: reports never carry a secret.
        if (where)
          return {
            expected: "no client credential in any upstream request",
            received: `${e.provider} attempt ${e.attempt} carried the client's credential (sha256:${fingerprint(s)}) in its ${where}`,
          };
      }
    }
    return undefined;
  },
});
