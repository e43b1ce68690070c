import type { SetupProblem } from "../harness/result.ts";
import type { RequestSpec } from "../harness/types.ts";
import { Deadlines, outageAgent, sendSample } from "./driver.ts";
import type { JournalFeed } from "./journal.ts";
import type { OutagePlan } from "./phases.ts";
import { requestFor } from "./sample.ts";

/** The mock an outage run plays its scenario on. */
export interface MockControl {
  url: string;
  token?: string;
}

const auth = (m: MockControl): Record<string, string> =>
  m.token ? { authorization: `Bearer ${m.token}` } : {};

/** `PUT /_faultline/scenario`; answers when (epoch ms) the mock started it. */
export async function startScenario(m: MockControl, plan: OutagePlan): Promise<number> {
  const before = Date.now();
  const res = await fetch(`${m.url}/_faultline/scenario?seed=${plan.seed}`, {
    method: "PUT",
    headers: { "content-type": "application/json", ...auth(m) },
    body: JSON.stringify(plan.document),
    signal: AbortSignal.timeout(10_000),
  });
  const after = Date.now();
  const text = await res.text();
  if (!res.ok) throw new Error(`the mock refused the scenario (${res.status}): ${text.slice(0, 500)}`);
  // The mock started it somewhere between the request and the answer.
  return Math.round((before + after) / 2);
}

/** `DELETE /_faultline/scenario`: every provider answers `ok` again. */
export async function stopScenario(m: MockControl): Promise<void> {
  const res = await fetch(`${m.url}/_faultline/scenario`, {
    method: "DELETE",
    headers: auth(m),
    signal: AbortSignal.timeout(5_000),
  });
  await res.arrayBuffer();
}

const problem = (p: SetupProblem): Preflight => ({ problems: [p] });

/** After an answer, before the journal is read to its end: the mock records an attempt's end just after it. */
export const JOURNAL_SETTLE_MS = 250;

export interface PreflightTarget {
  gateway: string;
  model: string;
  providers: string[];
  deadlineMs: number;
}

export interface Preflight {
  problems: SetupProblem[];
  /** The provider whose answer served the clean request: where the gateway must come back after the outage. */
  usual?: string;
}

/**
 * One clean request before the scenario, with no scenario playing: a gateway that cannot serve it, or
 * whose requests never reach the mock, is a setup problem (exit 2), not an outage finding.
 */
export async function preflight(
  m: MockControl,
  t: PreflightTarget,
  id: string,
  template: RequestSpec,
  feed: JournalFeed,
  /** Aborted: the run was interrupted; the answer is then of no use (the caller looks at the signal). */
  stop?: AbortSignal,
): Promise<Preflight> {
  const agent = outageAgent();
  const deadlines = new Deadlines(t.deadlineMs, stop);
  try {
    await stopScenario(m).catch(() => undefined);
    const s = await sendSample(agent, t.gateway, id, requestFor(template, id), deadlines);
    if (stop?.aborted) return { problems: [] };
    await new Promise((r) => setTimeout(r, JOURNAL_SETTLE_MS));
    await feed.poll(0);
    const journal = feed.take(id);
    if (s.status === undefined)
      return problem({
        id: "setup.gateway",
        message: `the gateway ${t.gateway} did not answer a clean request (${s.error?.code}: ${s.error?.message})`,
        fix: "start the gateway, or check --gateway",
      });
    if (s.status < 200 || s.status >= 300)
      return problem({
        id: "setup.clean_request",
        message: `the gateway answered a clean request with ${s.status} ${s.raw.slice(0, 200)}`,
        fix: "make `faultline run` pass its preflight against this gateway first (path, key, model)",
      });
    if (journal.length === 0)
      return problem({
        id: "setup.unrouted",
        message: `the gateway answered 2xx but the mock ${m.url} never saw the request`,
        fix: `route model ${t.model} to the mock's providers (${t.providers.join(", ")}) in that order`,
      });
    return { problems: [], usual: journal.at(-1)!.provider };
  } finally {
    deadlines.close();
    await agent.close();
  }
}
