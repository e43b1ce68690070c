import type { Check } from "../checks/registry.ts";
import { sendThenLeave } from "../disconnect-client.ts";
import type { RunContext } from "./context.ts";
import { send } from "./http.ts";
import { type Execution, judge } from "./judge.ts";
import { executeScenario } from "./scenario-case.ts";
import { type CaseSpec, PLAN_PLACEHOLDER } from "./types.ts";

/** Registers the case's plan, sends its request with the marker in place, reads the journal, judges. */
export async function execute(c: CaseSpec, ctx: RunContext, checks: Check[]): Promise<Execution> {
  if (c.scenario) return executeScenario(c, ctx, checks); // multi-request cases: scenario-case.ts
  let planId: string | undefined;
  let request = c.request;
  if (c.plan) {
    if (!ctx.mock) throw new Error("this case needs the mock (--mock URL)");
    const plan = await ctx.mock.addPlan(c.plan);
    planId = plan.id;
    request = { ...request, body: request.body?.split(PLAN_PLACEHOLDER).join(plan.marker) };
  }
  const [mock, plan] = [ctx.mock, planId];
  const exchange =
    c.clientAbort && plan && mock // a client that hangs up mid-request: disconnect-client.ts
      ? await sendThenLeave(ctx.target.gateway, request, c.clientAbort, ctx.harnessDeadlineMs, () =>
          mock.journal(plan),
        )
      : await send(ctx.target.gateway, request, ctx.harnessDeadlineMs);
  if (planId && ctx.mock) {
    exchange.planId = planId;
    exchange.journal = await ctx.mock.journal(planId);
    await ctx.mock.deletePlan(planId);
  }
  return judge({ profile: ctx.profile, target: ctx.target, case: c, exchange, run: ctx.state }, checks);
}

// The outage judge still takes these from here; the model lives in types.ts, judging in judge.ts.
export { type Execution, judge, type Verdict } from "./judge.ts";
export { PLAN_PLACEHOLDER } from "./types.ts";
