import { hashSeed, seededRandom } from "../core/rng.ts";
import { once, zod } from "./lazy.ts";
import { DEFAULT_LIMITS, LimitError, type MockLimits } from "./limits.ts";
import { stepDef, stepIds } from "./steps.ts";

/** A step as written in a plan: its id alone, or an object with its parameters. */
export interface StepSpec {
  step: string;
  [param: string]: unknown;
}

export type ProviderPolicy =
  | { kind: "sequence"; steps: StepSpec[] }
  | { kind: "probabilistic"; mix: Array<{ p: number; step: StepSpec }> };

export interface Plan {
  id: string;
  marker: string;
  label?: string;
  seed: number;
  providers: Record<string, ProviderPolicy>;
  createdAt: number;
}

/** Plan errors name the field: `plan.providers.alpha[1]: unknown step "x"; expected one of …`. */
export class PlanError extends Error {
  override name = "PlanError";
}

/** A value as a message shows it: JSON, cut short, never throwing (a cycle, a BigInt, 10,000 levels). */
export function show(v: unknown, max = 80): string {
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = Array.isArray(v) ? "[…]" : typeof v === "object" ? "{…}" : String(v);
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Names no provider may take: as object keys they reach Object.prototype instead of a provider. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** Refuses keys an object may not have, naming the first one and the keys it may. */
function onlyKeys(obj: object, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) {
      throw new PlanError(`${where}: unknown key ${JSON.stringify(k)}; expected ${allowed.join(", ")}`);
    }
  }
}

function normaliseStep(raw: unknown, where: string): StepSpec {
  const spec = typeof raw === "string" ? { step: raw } : raw;
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) {
    throw new PlanError(`${where}: expected a step name or {step: name, …params}, saw ${show(raw)}`);
  }
  const { step, ...params } = spec as Record<string, unknown>;
  if (typeof step !== "string") throw new PlanError(`${where}.step: expected a step name, saw ${show(step)}`);
  const def = stepDef(step);
  if (!def)
    throw new PlanError(`${where}: unknown step ${show(step)}; expected one of ${stepIds().join(", ")}`);
  const parsed = def.params.safeParse(params);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    const field = i.path.length ? `.${i.path.join(".")}` : "";
    throw new PlanError(`${where}${field}: ${i.message} (step "${step}")`);
  }
  return { step, ...(parsed.data as Record<string, unknown>) };
}

/** How many steps a raw policy holds, counted before any of them is validated. */
export function rawStepCount(raw: unknown): number {
  if (Array.isArray(raw)) return raw.length;
  const mix = (raw as { mix?: unknown } | null)?.mix;
  return Array.isArray(mix) ? mix.length : 1;
}

/** Refuses a plan or phase with more steps than `maxPlanSteps` (413), before validating any of them. */
export function checkStepCount(policies: Record<string, unknown>, maxPlanSteps: number, where: string): void {
  let n = 0;
  for (const k of Object.keys(policies)) n += rawStepCount(policies[k]);
  if (n > maxPlanSteps) {
    throw new LimitError(
      413,
      "maxPlanSteps",
      `${where}: ${n} steps over all providers; the limit is ${maxPlanSteps} (maxPlanSteps)`,
    );
  }
}

/** Validates one provider's policy; errors are prefixed with `where` (the field it was read from). */
export function normalisePolicy(raw: unknown, where: string): ProviderPolicy {
  if (typeof raw === "string" || (Array.isArray(raw) && raw.length > 0)) {
    return { kind: "sequence", steps: [raw].flat().map((s, i) => normaliseStep(s, `${where}[${i}]`)) };
  }
  if (Array.isArray(raw)) throw new PlanError(`${where}: expected at least one step, saw an empty list`);
  const obj = raw as { policy?: unknown; mix?: unknown };
  if (obj && typeof obj === "object" && "policy" in obj) {
    if (obj.policy !== "probabilistic") {
      throw new PlanError(`${where}.policy: expected "probabilistic", saw ${show(obj.policy)}`);
    }
    onlyKeys(obj, ["policy", "mix"], where);
    if (!Array.isArray(obj.mix) || obj.mix.length === 0) {
      throw new PlanError(`${where}.mix: expected a list of {p, step}, saw ${show(obj.mix)}`);
    }
    const mix = obj.mix.map((m: unknown, i: number) => {
      if (typeof m !== "object" || m === null || Array.isArray(m))
        throw new PlanError(`${where}.mix[${i}]: expected {p, step}, saw ${show(m)}`);
      onlyKeys(m, ["p", "step"], `${where}.mix[${i}]`);
      const e = m as { p?: unknown; step?: unknown };
      if (typeof e.p !== "number" || e.p < 0 || e.p > 1) {
        throw new PlanError(`${where}.mix[${i}].p: expected a probability between 0 and 1, saw ${show(e.p)}`);
      }
      return { p: e.p, step: normaliseStep(e.step, `${where}.mix[${i}].step`) };
    });
    const total = mix.reduce((a, m) => a + m.p, 0);
    if (Math.abs(total - 1) > 1e-6)
      throw new PlanError(`${where}.mix: probabilities must add up to 1, saw ${total}`);
    return { kind: "probabilistic", mix };
  }
  if (obj && typeof obj === "object" && "step" in obj)
    return { kind: "sequence", steps: [normaliseStep(obj, where)] };
  throw new PlanError(
    `${where}: expected a list of steps or {policy: probabilistic, mix: [{p, step}]}, saw ${show(raw)}`,
  );
}

const PLAN_KEYS = ["providers", "seed", "label"] as const;
const PlanInput = once(() => {
  const { z } = zod();
  return z.object({
    providers: z.record(z.string(), z.unknown()),
    seed: z.number().int().optional(),
    label: z.string().max(200).optional(),
  });
});

/** Validates a plan as posted to the control API or written in a case file. */
export function parsePlan(
  raw: unknown,
  knownProviders: string[],
  id: string,
  limits: Pick<MockLimits, "maxPlanSteps"> = DEFAULT_LIMITS,
): Plan {
  // Keys are read from the raw object: a parsed record would have turned `__proto__` into a prototype.
  const rawProviders = (raw as { providers?: unknown } | null)?.providers;
  if (rawProviders && typeof rawProviders === "object" && !Array.isArray(rawProviders)) {
    for (const name of Object.keys(rawProviders)) {
      if (RESERVED_NAMES.has(name)) {
        throw new PlanError(
          `plan.providers[${JSON.stringify(name)}]: not a provider name; expected one of ${knownProviders.join(", ")}`,
        );
      }
    }
    checkStepCount(rawProviders as Record<string, unknown>, limits.maxPlanSteps, "plan.providers");
  }
  const parsed = PlanInput().safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new PlanError(`plan${i.path.length ? `.${i.path.join(".")}` : ""}: ${i.message}`);
  }
  onlyKeys(raw as object, PLAN_KEYS, "plan");
  const providers: Record<string, ProviderPolicy> = {};
  for (const name of Object.keys(rawProviders as object)) {
    if (!knownProviders.includes(name)) {
      throw new PlanError(
        `plan.providers.${name}: unknown provider; expected one of ${knownProviders.join(", ")}`,
      );
    }
    providers[name] = normalisePolicy(
      (rawProviders as Record<string, unknown>)[name],
      `plan.providers.${name}`,
    );
  }
  return {
    id,
    marker: `faultline:${id}`,
    label: parsed.data.label,
    seed: parsed.data.seed ?? hashSeed(id),
    providers,
    createdAt: Date.now(),
  };
}

/** Chooses the step for one attempt; sequences repeat their last step. */
export function stepFor(plan: Plan, provider: string, attempt: number, random: () => number): StepSpec {
  const policy = Object.hasOwn(plan.providers, provider) ? plan.providers[provider] : undefined;
  if (!policy) return { step: "ok" };
  if (policy.kind === "sequence") return policy.steps[Math.min(attempt, policy.steps.length) - 1]!;
  const r = random();
  let acc = 0;
  for (const m of policy.mix) {
    acc += m.p;
    if (r < acc) return m.step;
  }
  return policy.mix[policy.mix.length - 1]!.step;
}

/** Per plan and provider: attempt counter and a seeded random stream. */
export class PlanState {
  /** Each provider's attempt count and seeded random stream, one lookup for both. */
  private readonly providers = new Map<string, { attempts: number; random: () => number }>();
  constructor(readonly plan: Plan) {}

  private of(provider: string): { attempts: number; random: () => number } {
    let p = this.providers.get(provider);
    if (!p) {
      p = { attempts: 0, random: seededRandom(hashSeed(this.plan.seed, provider)) };
      this.providers.set(provider, p);
    }
    return p;
  }

  /** Counts one more attempt at the provider and answers its number, from 1. */
  next(provider: string): number {
    return ++this.of(provider).attempts;
  }

  /** The provider's seeded random stream within this plan. */
  random(provider: string): () => number {
    return this.of(provider).random;
  }

  /** `next` and `random` at once: the one lookup an attempt needs. */
  attempt(provider: string): { attempts: number; random: () => number } {
    const p = this.of(provider);
    p.attempts++;
    return p;
  }
}
