import { familyNames, familyProfile } from "../../core/profile/schema.ts";
import type { JournalEntry } from "../../mocks/journal.ts";
import { send } from "./http.ts";
import { diagnose, type PreflightInput, routeFix, type Sent, unreachable } from "./preflight-diagnosis.ts";
import { chatRequest } from "./requests.ts";
import type { PreflightSummary, SetupProblem } from "./result.ts";
import { PLAN_PLACEHOLDER, type RequestSpec } from "./types.ts";

export { CLI, type PreflightInput } from "./preflight-diagnosis.ts";

export interface PreflightResult {
  problems: SetupProblem[];
  summary: PreflightSummary;
}

const TEXT = "Faultline preflight: a clean request, please answer briefly.";

function firstOccurrences(entries: JournalEntry[]): string[] {
  const out: string[] = [];
  for (const e of [...entries].sort((a, b) => a.seq - b.seq))
    if (!out.includes(e.provider)) out.push(e.provider);
  return out;
}

/** Every request the mock journaled since `sinceMs`, whatever its plan. */
async function journalSince(input: PreflightInput, sinceMs: number): Promise<JournalEntry[]> {
  const res = await fetch(`${input.mock!.baseUrl}/_faultline/journal?since=${sinceMs}`, {
    headers: input.mockToken ? { authorization: `Bearer ${input.mockToken}` } : {},
    signal: AbortSignal.timeout(5_000),
  });
  if (!res.ok) return [];
  return ((await res.json()) as { entries: JournalEntry[] }).entries;
}

/** Sends one request with a plan (when there is a mock) and reads back what the mock saw. */
async function sendPlanned(
  input: PreflightInput,
  request: RequestSpec,
  plan: Record<string, unknown[]> | undefined,
): Promise<Sent> {
  const { mock } = input;
  if (!mock || !plan) return { ex: await send(input.target.gateway, request, input.deadlineMs) };
  const { id, marker } = await mock.addPlan({ providers: plan });
  const since = Date.now() - 50;
  const body = request.body?.split(PLAN_PLACEHOLDER).join(marker);
  const ex = await send(input.target.gateway, { ...request, body }, input.deadlineMs);
  const journal = await mock.journal(id);
  await mock.deletePlan(id);
  const strays = journal.length
    ? []
    : (await journalSince(input, since).catch(() => [])).filter((e) => e.planId !== id);
  return { ex, journal, strays };
}

const allOk = (providers: string[]) => Object.fromEntries(providers.map((p) => [p, ["ok"]]));

/**
 * Before any property: one clean request per endpoint family (with an `ok` plan when there is a mock),
 * then what the mock saw. A setup that cannot exercise the gateway is named, with its fix, instead of
 * being judged as the gateway's contract (docs/contract.md §27). Without a mock only the black-box part
 * (reachable, path, credentials) runs.
 */
export async function preflight(input: PreflightInput): Promise<PreflightResult> {
  const summary: PreflightSummary = { families: [], notes: [] };
  const problems: SetupProblem[] = [];
  const plan = input.mock && input.providers.length ? allOk(input.providers) : undefined;
  for (const family of familyNames(input.profile)) {
    const p = familyProfile(input.profile, family);
    const req = chatRequest(p, input.target, { text: TEXT, withMarker: !!plan });
    let sent = await sendPlanned(input, req, plan);
    // A clean request that failed although a provider answered can be a slow moment (a loaded CI
    // machine against a short attempt timeout): one more try before calling the setup broken.
    if (diagnose(input, p, family, req, sent)?.id === "setup.clean_request")
      sent = await sendPlanned(input, req, plan);
    summary.families.push({
      family,
      path: req.path,
      status: sent.ex.status,
      providers: firstOccurrences(sent.journal ?? []),
    });
    const problem = diagnose(input, p, family, req, sent);
    if (problem) problems.push(problem);
    // Down or hanging, or the same model refused: the other families would only say it again.
    if (problem && /gateway_|model_refused|unrouted|marker/.test(problem.id)) return { problems, summary };
    if (!input.mock && sent.ex.status !== undefined && sent.ex.status >= 300 && !problem)
      summary.notes.push(
        `the clean request to ${req.path} got ${sent.ex.status}; without --mock its cause is not known`,
      );
  }
  if (problems.length || !plan) return { problems, summary };
  const p = familyProfile(input.profile, "default");
  if (input.streams) {
    const req = chatRequest(p, input.target, { text: TEXT, withMarker: true, stream: true });
    const { ex } = await sendPlanned(input, req, plan);
    const ct = ex.headers["content-type"] ?? "(none)";
    if (ex.status === undefined) return { problems: [unreachable(input, ex)], summary };
    if (ex.status < 200 || ex.status >= 300 || !ct.includes("text/event-stream"))
      problems.push({
        id: "setup.stream",
        message: `a clean streamed request (stream: true) got ${ex.status} with content-type ${ct}, not a text/event-stream`,
        fix: "answer stream: true as server-sent events, or leave the stream checks out: --skip 'STR-*'",
      });
  }
  if (input.providers.length > 1) {
    // Every provider but the last fails fast, so the journal shows the order the gateway tries them in.
    const order = Object.fromEntries(
      input.providers.map((name, i) => [name, [i === input.providers.length - 1 ? "ok" : "server_error"]]),
    );
    const req = chatRequest(p, input.target, { text: TEXT, withMarker: true });
    const { ex, journal = [] } = await sendPlanned(input, req, order);
    if (ex.status === undefined) return { problems: [...problems, unreachable(input, ex)], summary };
    const seen = firstOccurrences(journal);
    summary.order = seen;
    if (seen.some((name, i) => name !== input.providers[i]))
      problems.push({
        id: "setup.order",
        message: `the gateway tried the mock's providers in the order ${seen.join(" → ")} (${input.providers.slice(0, -1).join(" and ")} set to fail, ${input.providers.at(-1)} to answer); the mock lists them as ${input.providers.join(" → ")}`,
        fix: routeFix(input),
      });
    else if (seen.length < input.providers.length)
      summary.notes.push(
        `when ${seen.join(", ")} failed the gateway tried no further provider (answered ${ex.status}); failover to ${input.providers.slice(seen.length).join(", ")} is judged by FO-001`,
      );
  }
  return { problems, summary };
}
