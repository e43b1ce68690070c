import { allChecks, levelOf } from "../checks/index.ts";
import type { Check, Judgement } from "../checks/registry.ts";
import type { RunContext } from "./context.ts";
import { send } from "./http.ts";
import { executeScenario } from "./scenario-case.ts";
import type { CaseSpec, Exchange } from "./types.ts";

export const PLAN_PLACEHOLDER = "{{faultline.marker}}";

export interface Verdict {
  checkId: string;
  expected: string;
  received: string;
}

export interface Execution {
  exchange: Exchange;
  /** Checks that had something to say about this exchange. */
  evaluated: string[];
  verdicts: Verdict[];
}

/** Registers the case's plan, sends its request with the marker in place, reads the journal, judges. */
export async function execute(
  c: CaseSpec,
  ctx: RunContext,
  checks: Check[] = allChecks(),
): Promise<Execution> {
  if (c.scenario) return executeScenario(c, ctx, checks); // multi-request cases: scenario-case.ts
  let planId: string | undefined;
  let request = c.request;
  if (c.plan) {
    if (!ctx.mock) throw new Error("this case needs the mock (--mock URL)");
    const plan = await ctx.mock.addPlan(c.plan);
    planId = plan.id;
    request = { ...request, body: request.body?.split(PLAN_PLACEHOLDER).join(plan.marker) };
  }
  const exchange = await send(ctx.target.gateway, request, ctx.harnessDeadlineMs);
  if (planId && ctx.mock) {
    exchange.planId = planId;
    exchange.journal = await ctx.mock.journal(planId);
    await ctx.mock.deletePlan(planId);
  }
  return judge({ profile: ctx.profile, target: ctx.target, case: c, exchange, run: ctx.state }, checks);
}

/** Every check that applies judges the exchange once. */
export function judge(judgement: Judgement, checks: Check[]): Execution {
  const evaluated: string[] = [];
  const verdicts: Verdict[] = [];
  for (const ch of checks) {
    if (!ch.applies(judgement)) continue;
    evaluated.push(ch.id);
    const f = ch.judge(judgement);
    if (f) verdicts.push({ checkId: ch.id, ...f });
  }
  return { exchange: judgement.exchange, evaluated, verdicts };
}

/** Verdicts that fail a property: must and should; info never fails. */
export function failing(verdicts: Verdict[], ctx: RunContext, only?: Set<string>): Verdict[] {
  return verdicts.filter((v) => {
    if (only && !only.has(v.checkId)) return false;
    const ch = allChecks().find((c) => c.id === v.checkId);
    return ch !== undefined && levelOf(ch, ctx.profile) !== "info";
  });
}
