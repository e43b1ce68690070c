import { randomBytes } from "node:crypto";
import { getPath } from "../../core/json-path.ts";
import type { Profile } from "../../core/profile/schema.ts";
import type { Check } from "../checks/registry.ts";
import type { RunContext } from "./context.ts";
import { send } from "./http.ts";
import { type Execution, judge } from "./judge.ts";
import {
  type CaseSpec,
  type Exchange,
  PLAN_PLACEHOLDER,
  type RequestSpec,
  type ScenarioStep,
  type StepExchange,
} from "./types.ts";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

/** Fills `{{name}}` templates; undefined when a capture it needs is missing. */
function fill(text: string, vars: Map<string, string>): string | undefined {
  let missing = false;
  const out = text.replace(/\{\{([\w.]+)\}\}/g, (whole, name: string) => {
    const v = vars.get(name);
    if (v !== undefined) return v;
    if (name.startsWith("capture.")) missing = true;
    return whole;
  });
  return missing ? undefined : out;
}

function fillRequest(r: RequestSpec, vars: Map<string, string>): RequestSpec | undefined {
  const path = fill(r.path, vars);
  const body = r.body === undefined ? undefined : fill(r.body, vars);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) {
    const f = fill(v, vars);
    if (f === undefined) return undefined;
    headers[k] = f;
  }
  if (path === undefined || (r.body !== undefined && body === undefined)) return undefined;
  return { ...r, path, headers, body };
}

async function runStep(
  step: ScenarioStep,
  ctx: RunContext,
  vars: Map<string, string>,
  t0: number,
  own?: { id: string; marker: string },
): Promise<StepExchange> {
  const startedAtMs = Date.now() - t0;
  const request = fillRequest(
    step.request,
    own ? new Map([...vars, ["faultline.marker", own.marker]]) : vars,
  );
  if (!request)
    return { name: step.name, skipped: "an earlier answer lacked a value this step needs", startedAtMs };
  let exchange = await send(ctx.target.gateway, request, ctx.harnessDeadlineMs);
  let polls = 1;
  let pollTimedOut: boolean | undefined;
  if (step.poll) {
    const { path, until, intervalMs, timeoutMs } = step.poll;
    const started = Date.now();
    while (!until.includes(String(getPath(exchange.json, path)))) {
      if (exchange.status === undefined || exchange.status >= 400 || Date.now() - started >= timeoutMs) {
        pollTimedOut = Date.now() - started >= timeoutMs;
        break;
      }
      await sleep(intervalMs);
      exchange = await send(ctx.target.gateway, request, ctx.harnessDeadlineMs);
      polls++;
    }
  }
  for (const [name, path] of Object.entries(step.capture ?? {})) {
    const v = getPath(exchange.json, path);
    if (typeof v === "string" || typeof v === "number") vars.set(`capture.${name}`, String(v));
  }
  const journalSize = step.async ? undefined : await journalCount(ctx, vars);
  const done: StepExchange = { name: step.name, exchange, startedAtMs, polls, pollTimedOut, journalSize };
  if (own && ctx.mock) {
    done.planId = own.id;
    done.journal = await ctx.mock.journal(own.id);
  }
  return done;
}

async function journalCount(ctx: RunContext, vars: Map<string, string>): Promise<number | undefined> {
  const plan = vars.get("faultline.plan");
  return ctx.mock && plan ? (await ctx.mock.journal(plan)).length : undefined;
}

/** Runs the steps: in order, except that a step with `startAfterMs` overlaps the one before it. */
async function runSteps(
  steps: ScenarioStep[],
  ctx: RunContext,
  vars: Map<string, string>,
  own: Map<string, { id: string; marker: string }>,
): Promise<StepExchange[]> {
  const t0 = Date.now();
  const running: Array<Promise<StepExchange>> = [];
  let lastStart = t0;
  for (const step of steps) {
    if (step.startAfterMs === undefined) await Promise.all(running);
    else await sleep(lastStart + step.startAfterMs - Date.now());
    lastStart = Date.now();
    const run = runStep(step, ctx, vars, t0, own.get(step.name));
    // Handled at once: a step that fails while a later one is still waiting to start would otherwise be
    // an unhandled rejection until Promise.all below takes it (a case abandoned by a property's time budget
    // whose mock has since closed did exactly that). Promise.all still reports the failure.
    run.catch(() => undefined);
    running.push(run);
  }
  return Promise.all(running);
}

/** The profile the judged step's answers are held to: task paths may have their own error shape. */
function judgedProfile(p: Profile, step: ScenarioStep | undefined): Profile {
  return step?.envelope === "tasks" && p.tasks?.envelope ? { ...p, envelope: p.tasks.envelope } : p;
}

/**
 * Runs a multi-request case (idempotent replay, async tasks): one plan for every step, the steps in order
 * or overlapping, then every check judges once, with all steps' answers on `exchange.steps`.
 */
export async function executeScenario(c: CaseSpec, ctx: RunContext, checks: Check[]): Promise<Execution> {
  const scenario = c.scenario!;
  const vars = new Map([["faultline.nonce", randomBytes(9).toString("hex")]]);
  let planId: string | undefined;
  if (c.plan) {
    if (!ctx.mock) throw new Error("this case needs the mock (--mock URL)");
    const plan = await ctx.mock.addPlan(c.plan);
    planId = plan.id;
    vars.set(PLAN_PLACEHOLDER.slice(2, -2), plan.marker);
    vars.set("faultline.plan", plan.id);
  }
  // Steps with plans of their own (concurrent requests, each with its own faults).
  const own = new Map<string, { id: string; marker: string }>();
  let steps: StepExchange[];
  try {
    for (const s of scenario.steps) {
      if (!s.plan) continue;
      if (!ctx.mock) throw new Error("this case needs the mock (--mock URL)");
      own.set(s.name, await ctx.mock.addPlan(s.plan));
    }
    steps = await runSteps(scenario.steps, ctx, vars, own);
  } finally {
    for (const p of own.values()) await ctx.mock?.deletePlan(p.id);
  }
  const ran = steps.filter((s) => s.exchange);
  const judged = steps.find((s) => s.name === scenario.judge && s.exchange) ?? ran.at(-1);
  if (!judged?.exchange) throw new Error(`scenario ${c.property}: no step ran`);
  const exchange: Exchange = { ...judged.exchange, steps };
  if (planId && ctx.mock) {
    exchange.planId = planId;
    exchange.journal = await ctx.mock.journal(planId);
    await ctx.mock.deletePlan(planId);
  }
  const profile = judgedProfile(
    ctx.profile,
    scenario.steps.find((s) => s.name === judged.name),
  );
  return judge({ profile, target: ctx.target, case: c, exchange, run: ctx.state }, checks);
}
