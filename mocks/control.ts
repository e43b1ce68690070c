import { createHash, timingSafeEqual } from "node:crypto";
import { json } from "./dialects/types.ts";
import { controlError, type MockEngine } from "./engine.ts";
import type { JournalQuery } from "./journal.ts";
import { openApiDocument } from "./openapi.ts";
import { PlanError } from "./plan.ts";
import type { MockRequest, Reply } from "./types.ts";

export const CONTROL_PREFIX = "/_faultline";

export interface ControlOptions {
  /** When set, every control call but health and openapi.json needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Hooks for features that live outside the engine (scenarios). */
  extraRoutes?: (req: MockRequest, sub: string) => Reply | Promise<Reply> | undefined;
}

interface Route {
  method: string;
  /** The path below the prefix as the OpenAPI document writes it: `/plans/{id}`. */
  path: string;
  /** Answered without the bearer token. */
  open?: boolean;
  handle(engine: MockEngine, req: MockRequest, id: string | undefined, opts: ControlOptions): Reply;
}

function parseBody(req: MockRequest): unknown {
  if (!req.body) return undefined;
  try {
    return JSON.parse(req.body);
  } catch (e) {
    throw new PlanError(`request body is not JSON: ${(e as Error).message}`);
  }
}

/** Epoch milliseconds, or an ISO 8601 time. */
function time(name: string, v: string | null): number | undefined {
  if (v === null || v === "") return undefined;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n)) {
    throw new PlanError(
      `journal query "${name}": expected epoch milliseconds or an ISO 8601 time, saw "${v}"`,
    );
  }
  return n;
}

const JOURNAL_PARAMS = ["provider", "plan", "since", "until"];

function journalQuery(engine: MockEngine, req: MockRequest): JournalQuery {
  for (const k of req.query.keys()) {
    if (!JOURNAL_PARAMS.includes(k))
      throw new PlanError(
        `journal query "${k}": unknown parameter; expected one of ${JOURNAL_PARAMS.join(", ")}`,
      );
  }
  const provider = req.query.get("provider") ?? undefined;
  if (provider !== undefined && !engine.providers.has(provider)) {
    throw new PlanError(
      `journal query "provider": unknown provider "${provider}"; expected one of ${engine.providerNames().join(", ")}`,
    );
  }
  const q = {
    provider,
    planId: req.query.get("plan") ?? undefined,
    sinceMs: time("since", req.query.get("since")),
    untilMs: time("until", req.query.get("until")),
  };
  if (q.sinceMs !== undefined && q.untilMs !== undefined && q.sinceMs > q.untilMs) {
    throw new PlanError(`journal query "until": expected a time at or after "since"`);
  }
  return q;
}

function planOr404(engine: MockEngine, id: string, answer: () => Reply): Reply {
  if (!engine.getPlan(id)) return controlError(404, `no plan "${id}" (it may have expired or been deleted)`);
  return answer();
}

const ROUTES: Route[] = [
  {
    method: "GET",
    path: "/health",
    open: true,
    handle: (engine) =>
      json(200, {
        ok: true,
        providers: engine.providerNames(),
        dialects: Object.fromEntries([...engine.providers.values()].map((p) => [p.name, p.dialect])),
        journal: engine.journal.size,
        dropped: engine.journal.dropped,
      }),
  },
  {
    method: "GET",
    path: "/openapi.json",
    open: true,
    handle: (engine, _req, _id, opts) =>
      json(200, openApiDocument({ providers: engine.providerNames(), token: Boolean(opts.token) })),
  },
  {
    method: "POST",
    path: "/plans",
    handle(engine, req) {
      const plan = engine.addPlan(parseBody(req));
      return json(201, { id: plan.id, marker: plan.marker, seed: plan.seed });
    },
  },
  {
    method: "GET",
    path: "/plans/{id}",
    handle: (engine, _req, id) => planOr404(engine, id!, () => json(200, engine.getPlan(id!))),
  },
  {
    method: "DELETE",
    path: "/plans/{id}",
    handle: (engine, _req, id) =>
      planOr404(engine, id!, () => {
        engine.deletePlan(id!);
        return json(200, { deleted: id });
      }),
  },
  {
    method: "GET",
    path: "/plans/{id}/journal",
    handle: (engine, _req, id) =>
      planOr404(engine, id!, () => {
        const dropped = engine.journal.droppedByPlan.get(id!) ?? 0;
        return json(200, {
          plan: id,
          entries: engine.journal.query({ planId: id }),
          dropped,
          planDropped: dropped,
        });
      }),
  },
  {
    method: "GET",
    path: "/journal",
    handle(engine, req) {
      const q = journalQuery(engine, req);
      const planDropped =
        q.planId !== undefined ? (engine.journal.droppedByPlan.get(q.planId) ?? 0) : undefined;
      return json(200, { entries: engine.journal.query(q), dropped: engine.journal.dropped, planDropped });
    },
  },
  {
    method: "POST",
    path: "/reset",
    handle(engine) {
      engine.reset();
      return json(200, { ok: true });
    },
  },
];

/** The engine-owned control routes (scenario routes come through `extraRoutes`). */
export const CONTROL_ROUTES: ReadonlyArray<{ method: string; path: string }> = ROUTES.map((r) => ({
  method: r.method,
  path: `${CONTROL_PREFIX}${r.path}`,
}));

const PATTERNS = ROUTES.map((r) => ({
  route: r,
  re: new RegExp(`^${r.path.replace("{id}", "([A-Za-z0-9_-]+)")}$`),
}));

/** Compares digests, so the time taken says nothing about how much of the token matched. */
function tokenMatches(header: string | undefined, token: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(header ?? ""), digest(`Bearer ${token}`));
}

/** The control API: plans, journal, health, reset, its OpenAPI document. Undefined for paths it does not own. */
export async function control(
  engine: MockEngine,
  req: MockRequest,
  opts: ControlOptions = {},
): Promise<Reply | undefined> {
  if (!req.path.startsWith(`${CONTROL_PREFIX}/`)) return undefined;
  const sub = req.path.slice(CONTROL_PREFIX.length);
  const matches = PATTERNS.flatMap(({ route, re }) => {
    const m = re.exec(sub);
    return m ? [{ route, id: m[1] }] : [];
  });
  const hit = matches.find((m) => m.route.method === req.method);
  if (opts.token && !hit?.route.open && !tokenMatches(req.headers.authorization, opts.token)) {
    return controlError(401, "the control API needs Authorization: Bearer <token> (see --control-token)");
  }
  try {
    if (hit) return hit.route.handle(engine, req, hit.id, opts);
    const extra = await opts.extraRoutes?.(req, sub);
    if (extra) return extra;
    if (matches.length) {
      const allow = matches.map((m) => m.route.method).join(", ");
      return {
        ...controlError(405, `${req.method} ${req.path} is not supported; expected ${allow}`),
        headers: { "content-type": "application/json", allow },
      };
    }
    return controlError(404, `no control route ${req.method} ${req.path}`);
  } catch (e) {
    if (e instanceof PlanError) return controlError(400, e.message);
    throw e;
  }
}
