import { randomBytes } from "node:crypto";
import { dialect } from "./dialects/index.ts";
import { type ErrorKind, json } from "./dialects/types.ts";
import { Journal, type JournalEntry, type JournalLimits } from "./journal.ts";
import { type Plan, PlanError, PlanState, parsePlan, type StepSpec, stepFor } from "./plan.ts";
import { seededRandom } from "./rng.ts";
import { type StepContext, stepDef } from "./steps.ts";
import type { DialectId, MockRequest, Reply } from "./types.ts";

export interface ProviderConfig {
  name: string;
  dialect: DialectId;
  models: string[];
}

/** The step a request without a plan gets; scenarios replace it while they play. */
export type DefaultPolicy = (provider: string, attempt: number, random: () => number) => StepSpec;

export interface EngineOptions {
  providers: ProviderConfig[];
  journal?: Partial<JournalLimits>;
  /** Plans are forgotten after this long without use, so a long-running mock stays bounded. */
  planTtlMs?: number;
  maxPlans?: number;
}

/** The models each dialect's providers serve by default; a provider refuses others with its 404. */
export const DEFAULT_MODELS: Record<DialectId, string[]> = {
  openai: ["gpt-4o-mini", "gpt-4o", "gpt-4.1-mini"],
  anthropic: ["claude-haiku-4-5", "claude-sonnet-4-5", "claude-opus-4-1"],
  gemini: ["gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.0-flash"],
};

export const DEFAULT_PROVIDERS: ProviderConfig[] = [
  { name: "alpha", dialect: "openai", models: DEFAULT_MODELS.openai },
  { name: "beta", dialect: "openai", models: DEFAULT_MODELS.openai },
  { name: "gamma", dialect: "openai", models: DEFAULT_MODELS.openai },
];

const MARKER = /faultline:([A-Za-z0-9_-]{1,64})/;

/** The decision: what one attempt gets. Decide is pure data in, data out; transports write it. */
export interface Decision {
  reply: Reply;
  entry: JournalEntry;
}

export class MockEngine {
  readonly journal: Journal;
  readonly providers = new Map<string, ProviderConfig>();
  private plans = new Map<string, PlanState>();
  private unplanned = new Map<string, number>();
  private unplannedRandom = seededRandom(1);
  defaultPolicy: DefaultPolicy | undefined;
  private planCounter = 0;
  // Request ids: a random per-engine prefix and a counter, unique without a syscall per request.
  private readonly idPrefix = randomBytes(8).toString("hex");
  private requestCounter = 0;

  constructor(readonly options: EngineOptions = { providers: DEFAULT_PROVIDERS }) {
    for (const p of options.providers) this.providers.set(p.name, p);
    this.journal = new Journal({
      maxEntries: 10_000,
      maxPerPlan: 500,
      maxBodyBytes: 8192,
      ...options.journal,
    });
  }

  providerNames(): string[] {
    return [...this.providers.keys()];
  }

  /** Validates and stores a plan; throws PlanError naming the field. */
  addPlan(raw: unknown): Plan {
    const id = `p${(++this.planCounter).toString(36)}${randomBytes(4).toString("hex")}`;
    const plan = parsePlan(raw, this.providerNames(), id);
    this.plans.set(id, new PlanState(plan));
    this.evictPlans();
    return plan;
  }

  getPlan(id: string): Plan | undefined {
    return this.plans.get(id)?.plan;
  }

  deletePlan(id: string): boolean {
    this.journal.forgetPlan(id);
    return this.plans.delete(id);
  }

  reset(): void {
    this.plans.clear();
    this.unplanned.clear();
    this.journal.clear();
  }

  private evictPlans(): void {
    const max = this.options.maxPlans ?? 5000;
    const ttl = this.options.planTtlMs ?? 30 * 60_000;
    const now = Date.now();
    for (const [id, s] of this.plans) {
      if (this.plans.size <= max && now - s.plan.createdAt < ttl) break;
      this.plans.delete(id);
    }
  }

  /** What the provider refuses before any step: unparseable or schema-breaking bodies, unknown models. */
  private refuse(
    provider: ProviderConfig,
    model: string,
    raw: string,
    body: unknown,
  ): { kind: ErrorKind; message: string } | undefined {
    const d = dialect(provider.dialect);
    if (raw && body === undefined)
      return { kind: "bad_request", message: "We could not parse the JSON body of your request." };
    const invalid = d.validate?.(body);
    if (invalid) return invalid;
    if (provider.models.length && !provider.models.includes("*") && !provider.models.includes(model)) {
      return {
        kind: "not_found",
        message: `The model \`${model}\` does not exist or you do not have access to it.`,
      };
    }
    return undefined;
  }

  /** Finds the plan a request belongs to: the header first, then the marker in the body. */
  planIdOf(req: MockRequest): string | undefined {
    const header = req.headers["x-faultline-plan"];
    if (header) return header.replace(/^faultline:/, "");
    return MARKER.exec(req.body)?.[1];
  }

  decide(req: MockRequest): Decision | undefined {
    const slash = req.path.indexOf("/", 1);
    const name = req.path.slice(1, slash === -1 ? undefined : slash);
    const provider = this.providers.get(name);
    if (!provider) return undefined;
    const d = dialect(provider.dialect);
    const subpath = slash === -1 ? "/" : req.path.slice(slash);
    let body: unknown;
    try {
      body = req.body ? JSON.parse(req.body) : undefined;
    } catch {
      body = undefined;
    }
    const route = d.route(req.method, subpath, req, body);
    const planId = this.planIdOf(req);
    const state = planId ? this.plans.get(planId) : undefined;
    let attempt: number;
    let random: () => number;
    if (state) {
      ({ attempt, random } = state.next(name));
    } else {
      attempt = (this.unplanned.get(name) ?? 0) + 1;
      this.unplanned.set(name, attempt);
      random = this.unplannedRandom;
    }
    const ctx: StepContext = {
      provider: name,
      model: route?.model || provider.models[0] || "model",
      stream: route?.stream ?? false,
      requestId: `${this.idPrefix}${(++this.requestCounter).toString(16).padStart(8, "0")}`,
      text: `Hello from ${name}.`,
      nowS: Math.floor(Date.now() / 1000),
      dialect: d,
      attempt,
      random,
    };
    let spec: StepSpec;
    let reply: Reply;
    const invalid = route?.op === "chat" ? this.refuse(provider, route.model, req.body, body) : undefined;
    if (!route) {
      spec = { step: "unknown_route" };
      reply = d.unknownRoute(ctx);
    } else if (route.op === "models") {
      spec = { step: "models" };
      reply = d.models(ctx, provider.models);
    } else if (invalid) {
      // A real provider refuses a broken request or an unknown model whatever the plan says.
      spec = { step: "refused", reason: invalid.message };
      reply = d.error(invalid.kind, ctx, { message: invalid.message });
    } else {
      spec = state
        ? stepFor(state.plan, name, attempt, random)
        : (this.defaultPolicy?.(name, attempt, random) ?? { step: "ok" });
      const def = stepDef(spec.step);
      if (!def) throw new PlanError(`unknown step "${spec.step}"`);
      const { step: _s, ...params } = spec;
      reply = def.reply(ctx, params);
    }
    const entry = this.journal.record({
      planId: state ? planId : undefined,
      provider: name,
      dialect: provider.dialect,
      attempt,
      method: req.method,
      path: req.path,
      query: req.query.toString(),
      headers: req.headers,
      body: req.body,
      step: spec,
      receivedAt: Date.now(),
    });
    return { reply, entry };
  }
}

/** The one JSON error shape of the control API. */
export function controlError(status: number, message: string): Reply {
  return json(status, { error: { message } });
}
