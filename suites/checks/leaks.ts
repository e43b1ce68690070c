import { fingerprint } from "../../core/redact.ts";
import { defineCheck } from "./registry.ts";

/** The fingerprints of the credentials the gateway sent upstream, as the journal shows them. */
function sentFingerprints(j: {
  exchange: { journal?: Array<{ headers: Record<string, string> }> };
}): Set<string> {
  const out = new Set<string>();
  for (const e of j.exchange.journal ?? []) {
    for (const v of Object.values(e.headers)) {
      for (const m of v.matchAll(/\[redacted sha256:([0-9a-f]{8})\]/g)) out.add(m[1]!);
    }
  }
  return out;
}

function responseText(ex: { raw: string; headers: Record<string, string> }): string {
  return `${Object.values(ex.headers).join("\n")}\n${ex.raw}`;
}

defineCheck({
  id: "LEAK-001",
  level: "must",
  title: "No provider credential in a response",
  sentence:
    "No response carries the provider credential that the journal shows the gateway sending upstream.",
  source: "docs/contract.md §12 No leaks",
  fix: "Never copy upstream request headers or configuration into client-facing messages or headers.",
  applies: (j) => !!j.exchange.journal?.length,
  judge(j) {
    const sent = sentFingerprints(j);
    if (sent.size === 0) return undefined;
    // The journal only knows fingerprints, so fingerprint every token-like string in the response.
    for (const m of responseText(j.exchange).matchAll(/[A-Za-z0-9._~+/=-]{8,}/g)) {
      if (sent.has(fingerprint(m[0]))) {
        return {
          expected: "no provider credential",
          received: `a token whose fingerprint (sha256:${fingerprint(m[0])}) matches the key sent upstream`,
        };
      }
    }
    return undefined;
  },
});

defineCheck({
  id: "LEAK-002",
  level: "should",
  title: "No upstream address in a response",
  sentence: "No response carries the mock's host and port.",
  source: "docs/contract.md §12 No leaks",
  fix: "Keep upstream URLs out of client-facing errors.",
  applies: (j) => !!j.target.mock && !!j.exchange.journal?.length,
  judge(j) {
    const host = new URL(j.target.mock!).host;
    return responseText(j.exchange).includes(host)
      ? { expected: `no mention of ${host}`, received: `the response mentions ${host}` }
      : undefined;
  },
});
