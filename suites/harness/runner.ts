import { familyNames, familyProfile } from "../../core/profile/schema.ts";
import { type CaseMark, recordViolation } from "./case-run.ts";
import type { RunContext } from "./context.ts";
import { CoverageTally } from "./coverage-matrix.ts";
import { runHook } from "./hook.ts";
import { send } from "./http.ts";
import { Watchdog } from "./liveness.ts";
import { checkResults, newTally } from "./outcomes.ts";
import type { Suite } from "./property.ts";
import {
  addViolation,
  DEFAULT_RESTART_WAIT_MS,
  LIVENESS_CHECK,
  listed,
  type RunEnv,
  runProperty,
  stoppedReason,
} from "./property-run.ts";
import { authHeader } from "./requests.ts";
import type { PropertyOutcome, RunResult } from "./result.ts";
import type { RunOptions } from "./run-options.ts";
import { StallWatch } from "./stall.ts";

export { DEFAULT_RESTART_WAIT_MS, defaultPropertyBudgetMs, LIVENESS_CHECK } from "./property-run.ts";
export type {
  CheckOutcome,
  CheckResult,
  PropertyOutcome,
  PropertyStatus,
  RunResult,
  SetupProblem,
  ViolationRecord,
} from "./result.ts";
export type { CaseProgress, RunOptions } from "./run-options.ts";

export function matchesPattern(id: string, patterns: string[]): boolean {
  return patterns.some((p) =>
    new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`, "i").test(id),
  );
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
export async function runSuites(suites: Suite[], ctx: RunContext, opts: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const all = opts.checks;
  const selected = all.filter(
    (c) =>
      (!opts.only?.length || matchesPattern(c.id, opts.only)) &&
      !(opts.skip?.length && matchesPattern(c.id, opts.skip)),
  );
  const tallies = new Map(all.map((c) => [c.id, newTally()]));
  const hookDeadlineMs = opts.betweenCasesTimeoutMs ?? ctx.harnessDeadlineMs;
  const restartWaitMs = opts.restartWaitMs ?? DEFAULT_RESTART_WAIT_MS;
  const listedIds = new Set(suites.flatMap((s) => s.properties.flatMap(listed)));
  const env: RunEnv = {
    checks: selected,
    tallies,
    active: new Set(selected.map((c) => c.id)),
    unlisted: new Set(selected.map((c) => c.id).filter((id) => !listedIds.has(id))),
    opts,
    settleMs: opts.settleMs ?? 0,
    restartWaitMs,
    coverage: ctx.mock ? new CoverageTally() : undefined,
    coverageWidth: opts.coverageConcurrency ?? 1,
    stalls: new StallWatch(),
    watchdog: new Watchdog<CaseMark>(ctx.target, {
      probeDeadlineMs: Math.min(ctx.harnessDeadlineMs, 5_000),
      restartWaitMs,
      onDown(culprit, detail) {
        if (!culprit || !env.active.has(LIVENESS_CHECK)) return;
        const verdict = {
          checkId: LIVENESS_CHECK,
          expected: "the gateway keeps accepting connections after every case",
          received: `after this case the gateway stopped accepting connections (${detail})`,
        };
        addViolation(env, recordViolation(verdict, culprit.c, culprit.ex, culprit.seed, culprit.path, false));
      },
    }),
    async hook(c) {
      if (!opts.betweenCases) return true;
      if (env.setup) return false;
      const failed = await runHook(opts.betweenCases, hookDeadlineMs, {
        ...process.env,
        FAULTLINE_GATEWAY: c.target.gateway,
        ...(c.target.mock ? { FAULTLINE_MOCK: c.target.mock } : {}),
      });
      if (!failed) return true;
      env.setup ??= [
        {
          id: "setup.between_cases",
          message: `--between-cases "${opts.betweenCases}" ${failed}`,
          fix: `make "${opts.betweenCases}" exit 0 within ${hookDeadlineMs} ms, or leave out --between-cases`,
        },
      ];
      env.stop ??= "the --between-cases hook failed";
      return false;
    },
  };
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
  const pool = async (items: typeof queue, width: number) => {
    const work = [...items];
    await Promise.all(
      Array.from({ length: Math.max(1, width) }, async () => {
        for (let q = work.shift(); q; q = work.shift()) {
          const o = await runProperty(q.prop, q.ctx, env);
          outcomes.push(o);
          opts.onProperty?.(o);
          if (o.status === "skipped" || stoppedReason(env)) continue;
          // Between properties: a gateway that died on a property's last case is found here.
          await env.watchdog.check();
        }
      }),
    );
  };
  const stalls = env.stalls;
  stalls.start();
  try {
    // Stateless properties first, several at once; then the ones that go upstream, one at a time by default.
    await pool(
      queue.filter((q) => !q.prop.needsMock),
      opts.concurrency ?? 4,
    );
    await pool(
      queue.filter((q) => q.prop.needsMock),
      opts.upstreamConcurrency ?? opts.concurrency ?? 1,
    );
  } finally {
    stalls.stop();
  }
  const order = queue.map((q) => q.prop.id);
  outcomes.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  const stop = stoppedReason(env);
  const checks = checkResults({
    checks: all,
    profile: ctx.profile,
    tallies,
    active: env.active,
    lists: new Map(queue.map((q) => [q.prop.id, [...listed(q.prop), ...env.unlisted]])),
    properties: outcomes,
    stopped: stop,
  });
  return {
    seed: ctx.seed,
    startedAt: new Date(started).toISOString(),
    properties: outcomes,
    checks,
    durationMs: Date.now() - started,
    ...(stop ? { stopped: { reason: stop } } : {}),
    ...(env.setup ? { setup: env.setup } : {}),
    ...(env.coverage ? { coverage: env.coverage.matrix() } : {}),
  };
}
