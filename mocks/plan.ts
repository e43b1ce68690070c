import { z } from "zod";
import { hashSeed, seededRandom } from "./rng.ts";
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

function normaliseStep(raw: unknown, where: string): StepSpec {
  const spec = typeof raw === "string" ? { step: raw } : raw;
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) {
    throw new PlanError(
      `${where}: expected a step name or {step: name, …params}, saw ${JSON.stringify(raw)}`,
    );
  }
  const { step, ...params } = spec as Record<string, unknown>;
  if (typeof step !== "string")
    throw new PlanError(`${where}.step: expected a step name, saw ${JSON.stringify(step)}`);
  const def = stepDef(step);
  if (!def) throw new PlanError(`${where}: unknown step "${step}"; expected one of ${stepIds().join(", ")}`);
  const parsed = def.params.safeParse(params);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    const field = i.path.length ? `.${i.path.join(".")}` : "";
    throw new PlanError(`${where}${field}: ${i.message} (step "${step}")`);
  }
  return { step, ...(parsed.data as Record<string, unknown>) };
}

/** Validates one provider's policy; errors are prefixed with `where` (the field it was read from). */
export function normalisePolicy(raw: unknown, where: string): ProviderPolicy {
  if (typeof raw === "string" || (Array.isArray(raw) && raw.length > 0)) {
    return { kind: "sequence", steps: [raw].flat().map((s, i) => normaliseStep(s, `${where}[${i}]`)) };
  }
  if (Array.isArray(raw)) throw new PlanError(`${where}: expected at least one step, saw an empty list`);
  const obj = raw as { policy?: unknown; mix?: unknown };
  if (obj && typeof obj === "object" && obj.policy === "probabilistic") {
    if (!Array.isArray(obj.mix) || obj.mix.length === 0) {
      throw new PlanError(`${where}.mix: expected a list of {p, step}, saw ${JSON.stringify(obj.mix)}`);
    }
    const mix = obj.mix.map((m: unknown, i: number) => {
      const e = m as { p?: unknown; step?: unknown };
      if (typeof e?.p !== "number" || e.p < 0 || e.p > 1) {
        throw new PlanError(
          `${where}.mix[${i}].p: expected a probability between 0 and 1, saw ${JSON.stringify(e?.p)}`,
        );
      }
      const stepRaw = typeof e.step === "string" ? e.step : e.step;
      return { p: e.p, step: normaliseStep(stepRaw, `${where}.mix[${i}].step`) };
    });
    const total = mix.reduce((a, m) => a + m.p, 0);
    if (Math.abs(total - 1) > 1e-6)
      throw new PlanError(`${where}.mix: probabilities must add up to 1, saw ${total}`);
    return { kind: "probabilistic", mix };
  }
  if (obj && typeof obj === "object" && "step" in obj)
    return { kind: "sequence", steps: [normaliseStep(obj, where)] };
  throw new PlanError(
    `${where}: expected a list of steps or {policy: probabilistic, mix: [{p, step}]}, saw ${JSON.stringify(raw)}`,
  );
}

const PlanInput = z.object({
  providers: z.record(z.string(), z.unknown()),
  seed: z.number().int().optional(),
  label: z.string().max(200).optional(),
});

/** Validates a plan as posted to the control API or written in a case file. */
export function parsePlan(raw: unknown, knownProviders: string[], id: string): Plan {
  const parsed = PlanInput.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new PlanError(`plan${i.path.length ? `.${i.path.join(".")}` : ""}: ${i.message}`);
  }
  const providers: Record<string, ProviderPolicy> = {};
  for (const [name, policy] of Object.entries(parsed.data.providers)) {
    if (!knownProviders.includes(name)) {
      throw new PlanError(
        `plan.providers.${name}: unknown provider; expected one of ${knownProviders.join(", ")}`,
      );
    }
    providers[name] = normalisePolicy(policy, `plan.providers.${name}`);
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
  const policy = plan.providers[provider];
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
  private attempts = new Map<string, number>();
  private randoms = new Map<string, () => number>();
  constructor(readonly plan: Plan) {}

  next(provider: string): { attempt: number; random: () => number } {
    const attempt = (this.attempts.get(provider) ?? 0) + 1;
    this.attempts.set(provider, attempt);
    let random = this.randoms.get(provider);
    if (!random) {
      random = seededRandom(hashSeed(this.plan.seed, provider));
      this.randoms.set(provider, random);
    }
    return { attempt, random };
  }
}
