import { SECRET_KEYS } from "../../core/target-keys.ts";
import { type CaseSpec, NONCE_PLACEHOLDER, PLAN_PLACEHOLDER, type RequestSpec } from "../harness/types.ts";
import { CREDENTIAL_HEADER, type Target } from "../target.ts";

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`;
}

/** Environment variable names for the target's secrets: printed commands refer to them, never to values. */
export function secretEnvRefs(t: Target): Array<[string, string]> {
  const refs: Array<[string | undefined, string]> = [
    ...SECRET_KEYS.map((k): [string | undefined, string] => [t[k.field], k.env]),
    // Provider credentials a target hands the gateway in a templated header (suites/templates.ts).
    ...Object.entries(t.upstreamKeys ?? {}).map(([p, k]): [string, string] => [
      k,
      `FAULTLINE_UPSTREAM_KEY_${envPart(p)}`,
    ]),
    // Credential headers of the target's own (`x-portkey-api-key`): one variable per header.
    ...Object.entries(t.headers ?? {})
      .filter(([name]) => CREDENTIAL_HEADER.test(name))
      .map(([name, v]): [string, string] => [v, `FAULTLINE_HEADER_${envPart(name)}`]),
  ];
  // Longest first: a value that contains another is replaced whole.
  return refs
    .filter((r): r is [string, string] => !!r[0] && r[0].length >= 4)
    .sort((a, b) => b[0].length - a[0].length);
}

function envPart(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, "_");
}

/**
 * One shell word: single-quoted, with each secret, the plan marker and the nonce spliced in as a
 * double-quoted variable (`'…'"$FAULTLINE_API_KEY"'…'`), so the command runs as pasted and reveals nothing.
 */
export function shellArg(s: string, t: Target): string {
  let out = shellQuote(s);
  const vars: Array<[string, string]> = [
    ...secretEnvRefs(t),
    [PLAN_PLACEHOLDER, "marker"],
    [NONCE_PLACEHOLDER, "nonce"],
  ];
  for (const [value, name] of vars) out = out.split(value).join(`'"$${name}"'`);
  return out.replace(/^''(?=")|(?<=")''$/g, "");
}

function maxTimeS(t: Target): number {
  return Math.ceil((t.deadlineMs ?? 30_000) / 1000) + 5;
}

/** A curl command that sends the same request, secrets as environment variables. */
export function curlFor(t: Target, req: RequestSpec): string {
  const parts = [
    "curl -sS -i",
    "--max-time",
    String(maxTimeS(t)),
    "-X",
    req.method,
    shellArg(t.gateway + req.path, t),
  ];
  for (const [k, v] of Object.entries(req.headers)) parts.push("-H", shellArg(`${k}: ${v}`, t));
  if (req.body !== undefined) parts.push("--data-raw", shellArg(req.body, t));
  return parts.join(" ");
}

/**
 * Registers the case's plan with the mock and keeps its marker in `$marker` for the requests after it
 * (the mock answers compact JSON, so `sed` finds the marker without jq).
 */
function registerPlan(t: Target, plan: NonNullable<CaseSpec["plan"]>, mockToken: boolean): string[] {
  const mock = t.mock ?? "http://127.0.0.1:4010";
  const auth = mockToken ? ` -H "authorization: Bearer $FAULTLINE_MOCK_TOKEN"` : "";
  return [
    "# register the fault plan with the mock; the request below carries its marker",
    `marker=$(curl -sS --max-time 10 -X POST ${shellQuote(`${mock}/_faultline/plans`)} -H 'content-type: application/json'${auth} --data-raw ${shellQuote(JSON.stringify(plan))} | sed -n 's/.*"marker":"\\([^"]*\\)".*/\\1/p')`,
  ];
}

/**
 * The commands that reproduce a case: the plan's registration first when it has one, then one curl per
 * request (a multi-request case, idempotency or tasks, lists each step).
 */
export function curlsFor(
  t: Target,
  c: CaseSpec,
  /** Whether the mock's control API wants a token (`$FAULTLINE_MOCK_TOKEN`). */
  mockToken = !!process.env.FAULTLINE_MOCK_TOKEN,
): string[] {
  const lines = c.plan ? registerPlan(t, c.plan, mockToken) : [];
  const text = JSON.stringify(c);
  if (text.includes(NONCE_PLACEHOLDER)) lines.push(`nonce="fl$RANDOM$RANDOM"`);
  if (!c.scenario) return [...lines, curlFor(t, c.request)];
  return [
    ...lines,
    ...c.scenario.steps.flatMap((s) => [
      `# ${s.name}${s.startAfterMs ? ` (${s.startAfterMs} ms after the previous step, while it is in flight)` : ""}${s.poll ? " (repeated until done)" : ""}${/\{\{capture\./.test(JSON.stringify(s.request)) ? " (put the value the earlier answer returned where it says {{capture.…}})" : ""}`,
      curlFor(t, s.request),
    ]),
  ];
}
