import { json } from "./dialects/types.ts";
import { controlError, type MockEngine } from "./engine.ts";
import { PlanError } from "./plan.ts";
import type { MockRequest, Reply } from "./types.ts";

export const CONTROL_PREFIX = "/_faultline";

export interface ControlOptions {
  /** When set, every control call needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Hooks for features that live outside the engine (scenarios). */
  extraRoutes?: (req: MockRequest, sub: string) => Reply | Promise<Reply> | undefined;
}

function parseBody(req: MockRequest): unknown {
  if (!req.body) return undefined;
  try {
    return JSON.parse(req.body);
  } catch (e) {
    throw new PlanError(`request body is not JSON: ${(e as Error).message}`);
  }
}

function num(v: string | null): number | undefined {
  if (v === null || v === "") return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new PlanError(`query parameter expected a number, saw "${v}"`);
  return n;
}

/** The control API: plans, journal, health, reset. Answers undefined for paths it does not own. */
export async function control(
  engine: MockEngine,
  req: MockRequest,
  opts: ControlOptions = {},
): Promise<Reply | undefined> {
  if (!req.path.startsWith(`${CONTROL_PREFIX}/`)) return undefined;
  const sub = req.path.slice(CONTROL_PREFIX.length);
  if (opts.token && req.headers.authorization !== `Bearer ${opts.token}` && sub !== "/health") {
    return controlError(401, "the control API needs Authorization: Bearer <token> (see --control-token)");
  }
  try {
    if (req.method === "GET" && sub === "/health") {
      return json(200, {
        ok: true,
        providers: engine.providerNames(),
        journal: engine.journal.size,
        dropped: engine.journal.dropped,
      });
    }
    if (req.method === "POST" && sub === "/plans") {
      const plan = engine.addPlan(parseBody(req));
      return json(201, { id: plan.id, marker: plan.marker, seed: plan.seed });
    }
    if (req.method === "POST" && sub === "/reset") {
      engine.reset();
      return json(200, { ok: true });
    }
    if (req.method === "GET" && sub === "/journal") {
      const entries = engine.journal.query({
        provider: req.query.get("provider") ?? undefined,
        planId: req.query.get("plan") ?? undefined,
        sinceMs: num(req.query.get("since")),
        untilMs: num(req.query.get("until")),
      });
      return json(200, { entries, dropped: engine.journal.dropped });
    }
    const m = /^\/plans\/([A-Za-z0-9_-]+)(\/journal)?$/.exec(sub);
    if (m) {
      const id = m[1]!;
      const plan = engine.getPlan(id);
      if (!plan) return controlError(404, `no plan "${id}" (it may have expired or been deleted)`);
      if (req.method === "GET" && m[2]) {
        return json(200, {
          plan: id,
          entries: engine.journal.query({ planId: id }),
          dropped: engine.journal.droppedByPlan.get(id) ?? 0,
        });
      }
      if (req.method === "GET") return json(200, plan);
      if (req.method === "DELETE") {
        engine.deletePlan(id);
        return json(200, { deleted: id });
      }
    }
    const extra = await opts.extraRoutes?.(req, sub);
    if (extra) return extra;
    return controlError(404, `no control route ${req.method} ${req.path}`);
  } catch (e) {
    if (e instanceof PlanError) return controlError(400, e.message);
    throw e;
  }
}
