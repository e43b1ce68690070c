import type { CaseSpec, RequestSpec } from "../harness/types.ts";
import type { Target } from "../target.ts";

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`;
}

/** Secrets become environment-variable references, so the command runs and reveals nothing. */
function withSecretRefs(s: string, t: Target): string {
  const refs: Array<[string | undefined, string]> = [
    [t.apiKey, "FAULTLINE_API_KEY"],
    [t.brokeKey, "FAULTLINE_BROKE_KEY"],
    [t.limitedKey, "FAULTLINE_LIMITED_KEY"],
    [t.otherApiKey, "FAULTLINE_OTHER_API_KEY"],
    [t.concurrencyKey, "FAULTLINE_CONCURRENCY_KEY"],
    // Provider credentials a target hands the gateway in a templated header (suites/templates.ts).
    ...Object.entries(t.upstreamKeys ?? {}).map(([p, k]): [string, string] => [
      k,
      `FAULTLINE_UPSTREAM_KEY_${p.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`,
    ]),
  ];
  let out = shellQuote(s);
  for (const [secret, env] of refs) if (secret) out = out.split(secret).join(`'"$${env}"'`);
  return out;
}

/** A curl command that sends the same request, secrets filtered. */
export function curlFor(t: Target, req: RequestSpec): string {
  const parts = ["curl -sS -i", "-X", req.method, shellQuote(t.gateway + req.path)];
  for (const [k, v] of Object.entries(req.headers)) parts.push("-H", withSecretRefs(`${k}: ${v}`, t));
  if (req.body !== undefined) parts.push("--data-raw", withSecretRefs(req.body, t));
  return parts.join(" ");
}

/** One curl command per request of the case: a multi-request case (idempotency, tasks) lists each step. */
export function curlsFor(t: Target, c: CaseSpec): string[] {
  if (!c.scenario) return [curlFor(t, c.request)];
  return c.scenario.steps.flatMap((s) => [
    `# ${s.name}${s.startAfterMs ? ` (${s.startAfterMs} ms after the previous step, while it is in flight)` : ""}${s.poll ? " (repeated until done)" : ""}`,
    curlFor(t, s.request),
  ]);
}
