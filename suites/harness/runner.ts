import fc from "fast-check";
import { hashSeed } from "../../mocks/rng.ts";
import { allChecks, levelOf } from "../checks/index.ts";
import { familyNames, familyProfile, type Level } from "../profile/schema.ts";
import type { RunContext } from "./context.ts";
import { type Execution, execute, failing } from "./execute.ts";
import { send } from "./http.ts";
import type { Property, Suite } from "./property.ts";
import { authHeader } from "./requests.ts";
import type { CheckResult, PropertyOutcome, RunResult, ViolationRecord } from "./result.ts";
import type { CaseSpec } from "./types.ts";

export type {
  CheckOutcome,
  CheckResult,
  PropertyOutcome,
  PropertyStatus,
  RunResult,
  SetupProblem,
  ViolationRecord,
} from "./result.ts";

export interface RunOptions {
  /** Id patterns (`ENV-*`, `FO-001`) of checks to run; empty means all. */
  only?: string[];
  skip?: string[];
  /** Stop shrinking a property after this long. */
  propertyBudgetMs?: number;
  concurrency?: number;
  onProperty?: (p: PropertyOutcome) => void;
}

const MAX_VIOLATIONS_PER_CHECK = 5;

export function matchesPattern(id: string, patterns: string[]): boolean {
  return patterns.some((p) =>
    new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`, "i").test(id),
  );
}

function record(
  c: CaseSpec,
  ex: Execution,
  checkId: string,
  seed: number,
  path: string | undefined,
  shrunk: boolean,
): ViolationRecord {
  const v = ex.verdicts.find((x) => x.checkId === checkId)!;
  const { url, status, headers, raw, elapsedMs, error, timedOut } = ex.exchange;
  return {
    checkId,
    property: c.property,
    expected: v.expected,
    received: v.received,
    case: c,
    exchange: { url, status, headers, raw: raw.slice(0, 4096), elapsedMs, error, timedOut },
    journal: (ex.exchange.journal ?? []).map((e) => ({
      provider: e.provider,
      attempt: e.attempt,
      step: e.step.step,
      status: e.status,
      receivedAt: e.receivedAt,
    })),
    seed,
    path,
    shrunk,
  };
}

interface Tally {
  evaluated: number;
  violations: ViolationRecord[];
}

async function runProperty(
  prop: Property,
  ctx: RunContext,
  tallies: Map<string, Tally>,
  active: Set<string>,
  opts: RunOptions,
): Promise<PropertyOutcome> {
  const started = Date.now();
  const seed = hashSeed(ctx.seed, prop.id) | 0;
  const family = ctx.family ?? "default";
  const runs = prop.runs?.(ctx) ?? ctx.runs;
  const base = {
    id: prop.id,
    suite: prop.suite,
    title: prop.title,
    seed,
    requested: runs,
    executed: 0,
    inconclusive: 0,
  };
  const reason =
    prop.needsMock && !ctx.mock
      ? "no mock URL given (--mock): upstream properties need the mock"
      : prop.skip?.(ctx);
  if (reason) return { ...base, status: "skipped", reason, durationMs: 0 };
  const primary = new Set(prop.checks.filter((id) => active.has(id)));
  if (primary.size === 0)
    return { ...base, status: "skipped", reason: "none of its checks is selected", durationMs: 0 };
  const checks = allChecks().filter((c) => active.has(c.id));
  const firstSeen = new Map<string, ViolationRecord>();
  const arbitrary = prop
    .arbitrary(ctx)
    .map((c) => (family === "default" ? c : { ...c, family, property: prop.id }));
  let executed = 0;
  const property = fc.asyncProperty(arbitrary, async (c) => {
    executed++;
    const ex = await execute(c, ctx, checks);
    for (const id of ex.evaluated) tallies.get(id)!.evaluated++;
    for (const v of ex.verdicts)
      if (!firstSeen.has(v.checkId))
        firstSeen.set(v.checkId, record(c, ex, v.checkId, seed, undefined, false));
    return failing(ex.verdicts, ctx, primary).length === 0;
  });
  const details = await fc.check(property, {
    seed,
    numRuns: runs,
    interruptAfterTimeLimit: opts.propertyBudgetMs ?? 60_000,
    markInterruptAsFailure: false,
  });
  const shrunk = new Map<string, ViolationRecord>();
  const thrown =
    details.failed &&
    details.errorInstance instanceof Error &&
    !/Property failed by returning false/.test(details.errorInstance.message)
      ? details.errorInstance
      : undefined;
  if (details.failed && details.counterexample && !thrown) {
    const c = details.counterexample[0] as CaseSpec;
    const ex = await execute(c, ctx, checks);
    for (const v of ex.verdicts)
      shrunk.set(v.checkId, record(c, ex, v.checkId, seed, details.counterexamplePath ?? undefined, true));
  }
  for (const [id, v] of [...firstSeen, ...shrunk]) {
    const t = tallies.get(id)!;
    // A shrunk counterexample replaces the unshrunk one of the same property.
    const i = t.violations.findIndex((x) => x.property === v.property);
    if (i >= 0 && v.shrunk) t.violations[i] = v;
    else if (i < 0 && t.violations.length < MAX_VIOLATIONS_PER_CHECK) t.violations.push(v);
  }
  const durationMs = Date.now() - started;
  const done = { ...base, executed: Math.min(executed, runs) };
  if (thrown) return { ...done, status: "error", reason: thrown.message, durationMs };
  if (details.failed) return { ...done, status: "failed", durationMs };
  if (details.interrupted || details.numRuns < runs)
    return {
      ...done,
      status: "incomplete",
      reason: `stopped by its time budget after ${details.numRuns} of ${runs} cases`,
      durationMs,
    };
  return { ...done, status: "passed", durationMs };
}

/** The models the gateway lists, for hints that must name a real model. */
async function listModels(ctx: RunContext): Promise<string[]> {
  const ep = ctx.profile.endpoints.models;
  if (!ep) return [];
  const ex = await send(
    ctx.target.gateway,
    {
      method: ep.method,
      path: ep.path,
      headers: { ...ctx.target.headers, ...authHeader(ctx.profile, ctx.target.apiKey) },
    },
    ctx.harnessDeadlineMs,
  );
  const data =
    (ex.json as { data?: Array<{ id?: unknown }>; models?: Array<{ name?: unknown }> } | undefined) ?? {};
  return [...(data.data ?? []).map((m) => m.id), ...(data.models ?? []).map((m) => m.name)].filter(
    (m): m is string => typeof m === "string",
  );
}

/** Runs every property of the given suites and tallies each check. Running returns data; reports format it. */
export async function runSuites(suites: Suite[], ctx: RunContext, opts: RunOptions = {}): Promise<RunResult> {
  const started = Date.now();
  const selected = allChecks().filter(
    (c) =>
      (!opts.only?.length || matchesPattern(c.id, opts.only)) &&
      !(opts.skip?.length && matchesPattern(c.id, opts.skip)),
  );
  const active = new Set(selected.map((c) => c.id));
  const tallies = new Map(allChecks().map((c) => [c.id, { evaluated: 0, violations: [] } as Tally]));
  if (!ctx.state) ctx = { ...ctx, state: { requestIds: new Map(), models: await listModels(ctx) } };
  // Each endpoint family (OpenAI-, Anthropic-, Gemini-compatible paths) runs the properties in its own dialect.
  const families = familyNames(ctx.profile);
  const queue = families.flatMap((f) =>
    suites.flatMap((s) =>
      s.properties
        .filter((p) => f === "default" || p.perFamily !== false)
        .map((p) => ({
          prop: f === "default" ? p : { ...p, id: `${p.id}@${f}` },
          ctx: f === "default" ? ctx : { ...ctx, family: f, profile: familyProfile(ctx.profile, f) },
        })),
    ),
  );
  const outcomes: PropertyOutcome[] = [];
  const workers = Array.from({ length: Math.max(1, opts.concurrency ?? 4) }, async () => {
    for (let q = queue.shift(); q; q = queue.shift()) {
      const o = await runProperty(q.prop, q.ctx, tallies, active, opts);
      outcomes.push(o);
      opts.onProperty?.(o);
    }
  });
  await Promise.all(workers);
  const order = families.flatMap((f) =>
    suites.flatMap((s) => s.properties.map((p) => (f === "default" ? p.id : `${p.id}@${f}`))),
  );
  outcomes.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  const skippedReasons = outcomes
    .filter((o) => o.status === "skipped" && o.reason)
    .map((o) => `${o.id}: ${o.reason}`);
  const checks: CheckResult[] = allChecks().map((c) => {
    const t = tallies.get(c.id)!;
    const base = {
      id: c.id,
      level: levelOf(c, ctx.profile),
      title: c.title,
      sentence: c.sentence,
      source: c.source,
      fix: c.fix,
    };
    if (!active.has(c.id))
      return {
        ...base,
        outcome: "not_selected",
        evaluated: 0,
        inconclusive: 0,
        violations: [],
        reason: "not selected (--only/--skip)",
      };
    if (t.violations.length)
      return { ...base, outcome: "fail", evaluated: t.evaluated, inconclusive: 0, violations: t.violations };
    if (t.evaluated === 0) {
      const notDeclared = c.notDeclared?.(ctx.profile);
      return {
        ...base,
        outcome: notDeclared ? "not_declared" : "not_exercised",
        evaluated: 0,
        inconclusive: 0,
        violations: [],
        reason: notDeclared ?? (skippedReasons.join("; ") || "no generated case exercised it"),
      };
    }
    return { ...base, outcome: "pass", evaluated: t.evaluated, inconclusive: 0, violations: [] };
  });
  return { seed: ctx.seed, properties: outcomes, checks, durationMs: Date.now() - started };
}
