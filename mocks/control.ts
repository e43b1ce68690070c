import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { json } from "./dialects/types.ts";
import { controlError, type MockEngine } from "./engine.ts";
import type { JournalQuery } from "./journal.ts";
import { checkDepth, LimitError } from "./limits.ts";
import { PlanError } from "./plan.ts";
import type { MockRequest, Reply } from "./types.ts";

export const CONTROL_PREFIX = "/_faultline";

/** The header a client names itself with: the owner key of the plans it registers. */
export const OWNER_HEADER = "x-faultline-owner";
const OWNER_KEY = /^[A-Za-z0-9._~-]{16,128}$/;

export interface ControlOptions {
  /**
   * The control token: its holder may do anything (reset everything, delete any plan, play scenarios,
   * read the whole journal, add secrets). Without it, a client reaches only its own plans, with the
   * owner key it registered them under (docs/mock.md, "Control API as a shared service").
   */
  token?: string;
  /** Hooks for features that live outside the engine (scenarios). */
  extraRoutes?: (req: MockRequest, sub: string, access: Access) => Reply | Promise<Reply> | undefined;
  /** Called after a full reset (the control token holder's), so a playing scenario stops too. */
  onReset?: () => void;
}

/**
 * Who is calling. `admin`: holds the control token, or the mock has none and the call names no owner
 * (an unprotected mock, as before owners existed). `owner`: the key in `x-faultline-owner`, if any.
 */
export interface Access {
  admin: boolean;
  owner?: string;
}

interface Route {
  method: string;
  /** The path below the prefix as the OpenAPI document writes it: `/plans/{id}`. */
  path: string;
  /** `open`: anyone; `client`: any caller the mock lets in; `admin`: the control token holder. */
  level: "open" | "client" | "admin";
  handle(
    engine: MockEngine,
    req: MockRequest,
    id: string | undefined,
    access: Access,
    opts: ControlOptions,
  ): Reply | Promise<Reply>;
}

function parseBody(engine: MockEngine, req: MockRequest): unknown {
  if (!req.body) return undefined;
  // Before JSON.parse: the parse itself is safe at any depth, but every printer and validator after it
  // recurses, and a stack overflow would be a 500 instead of this 400.
  checkDepth(req.body, engine.limits, "request body");
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

/** Runs `answer` when the plan exists and the caller may touch it: its owner, or the token holder. */
function ownPlan(engine: MockEngine, id: string, access: Access, answer: () => Reply): Reply {
  if (!engine.getPlan(id)) return controlError(404, `no plan "${id}" (it may have expired or been deleted)`);
  if (!access.admin && !engine.isOwner(id, access.owner)) {
    return controlError(
      403,
      `plan "${id}" belongs to another client; send ${OWNER_HEADER} with the owner key it was created with, or the control token`,
    );
  }
  return answer();
}

const ROUTES: Route[] = [
  {
    method: "GET",
    path: "/health",
    level: "open",
    handle: (engine) =>
      json(200, {
        ok: true,
        providers: engine.providerNames(),
        dialects: Object.fromEntries([...engine.providers.values()].map((p) => [p.name, p.dialect])),
        models: Object.fromEntries([...engine.providers.values()].map((p) => [p.name, p.models])),
        journal: engine.journal.size,
        dropped: engine.journal.dropped,
        plans: engine.planCount,
      }),
  },
  {
    method: "GET",
    path: "/openapi.json",
    level: "open",
    // Loaded on first use: the document pulls in every step's JSON Schema, which an idle mock never needs.
    handle: async (engine, _req, _id, _access, opts) => {
      const { openApiDocument } = await import("./openapi.ts");
      return json(200, openApiDocument({ providers: engine.providerNames(), token: Boolean(opts.token) }));
    },
  },
  {
    method: "GET",
    path: "/metrics",
    level: "open",
    handle: async (engine) => {
      const { contentType, text } = await engine.metrics.render();
      return { status: 200, headers: { "content-type": contentType }, body: text };
    },
  },
  {
    method: "POST",
    path: "/plans",
    level: "client",
    handle(engine, req, _id, access) {
      // A caller that names no owner gets a key of its own, returned once, here.
      const owner = access.owner ?? randomBytes(16).toString("hex");
      const plan = engine.addPlan(parseBody(engine, req), { owner, bytes: Buffer.byteLength(req.body) });
      return json(201, { id: plan.id, marker: plan.marker, seed: plan.seed, owner });
    },
  },
  {
    method: "GET",
    path: "/plans/{id}",
    level: "client",
    handle: (engine, _req, id, access) => ownPlan(engine, id!, access, () => json(200, engine.getPlan(id!))),
  },
  {
    method: "DELETE",
    path: "/plans/{id}",
    level: "client",
    handle: (engine, _req, id, access) =>
      ownPlan(engine, id!, access, () => {
        engine.deletePlan(id!);
        return json(200, { deleted: id });
      }),
  },
  {
    method: "GET",
    path: "/plans/{id}/journal",
    level: "client",
    handle: (engine, _req, id, access) =>
      ownPlan(engine, id!, access, () => {
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
    level: "client",
    handle(engine, req, _id, access) {
      const q = journalQuery(engine, req);
      // Without the token, the journal a client reads is its own plan's: others' requests are not its business.
      if (!access.admin && (q.planId === undefined || !engine.isOwner(q.planId, access.owner))) {
        return controlError(
          403,
          `the whole journal needs the control token; without it, ask for one of your plans with ?plan=<id> and ${OWNER_HEADER}`,
        );
      }
      const planDropped =
        q.planId !== undefined ? (engine.journal.droppedByPlan.get(q.planId) ?? 0) : undefined;
      return json(200, { entries: engine.journal.query(q), dropped: engine.journal.dropped, planDropped });
    },
  },
  {
    method: "POST",
    path: "/reset",
    level: "client",
    handle(engine, _req, _id, access, opts) {
      if (access.admin) {
        engine.reset();
        opts.onReset?.();
        return json(200, { ok: true });
      }
      // A client resets what is its own: one CI job's reset must not wipe a parallel job's plans.
      return json(200, { ok: true, plans: engine.resetOwner(access.owner!) });
    },
  },
  {
    method: "POST",
    path: "/secrets",
    level: "admin",
    handle(engine, req) {
      const body = parseBody(engine, req) as { secrets?: unknown } | undefined;
      const secrets = body?.secrets;
      if (!Array.isArray(secrets) || !secrets.every((s) => typeof s === "string")) {
        throw new PlanError(
          `secrets: expected a list of strings, saw ${secrets === undefined ? "nothing" : typeof secrets}`,
        );
      }
      let added: number;
      try {
        added = engine.addSecrets(secrets);
      } catch (e) {
        if (e instanceof LimitError) throw e;
        throw new PlanError(`secrets: ${(e as Error).message}`);
      }
      // The journal redacts when read, so the entries already kept are covered too. The secrets
      // themselves are never echoed, only how many the mock now redacts.
      return json(200, { added, secrets: engine.journal.redactor.size });
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

/** Who the caller is, or the refusal that says why it may not call at all. */
function accessOf(req: MockRequest, opts: ControlOptions): Access | Reply {
  const owner = req.headers[OWNER_HEADER];
  if (owner !== undefined && !OWNER_KEY.test(owner)) {
    return controlError(
      400,
      `${OWNER_HEADER}: expected 16 to 128 letters, digits, ".", "_", "~" or "-", saw ${owner.length} characters that are not`,
    );
  }
  if (opts.token) return { admin: tokenMatches(req.headers.authorization, opts.token), owner };
  return { admin: owner === undefined, owner };
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
  // Playing or stopping a scenario changes every client's answers: the token holder's call. Paths
  // nobody answers are "client", so they reach their 404 or 405.
  const level = hit?.route.level ?? (sub === "/scenario" && req.method !== "GET" ? "admin" : "client");
  const access = level === "open" ? { admin: false } : accessOf(req, opts);
  if ("status" in access) return access;
  // With a token, a caller that holds neither it nor an owner key is refused, as before owners existed.
  if (opts.token && level !== "open" && !access.admin && (level === "admin" || access.owner === undefined)) {
    return controlError(
      401,
      level === "admin"
        ? "this control call needs Authorization: Bearer <token> (the control token: --control-token or FAULTLINE_CONTROL_TOKEN)"
        : `the control API needs Authorization: Bearer <token> (see --control-token), or ${OWNER_HEADER} for a client's own plans`,
    );
  }
  if (!opts.token && level === "admin" && !access.admin) {
    return controlError(403, `this control call is not a client's own: send it without ${OWNER_HEADER}`);
  }
  try {
    if (hit) return await hit.route.handle(engine, req, hit.id, access, opts);
    const extra = await opts.extraRoutes?.(req, sub, access);
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
    if (e instanceof LimitError) {
      engine.metrics.refused(e.limit);
      return controlError(e.status, e.message);
    }
    if (e instanceof PlanError) return controlError(400, e.message);
    throw e;
  }
}
