import { hashSeed } from "../core/rng.ts";
import type { DefaultPolicy, MockEngine } from "./engine.ts";
import { type Plan, PlanState, type StepSpec, stepFor } from "./plan.ts";
import { ANY_PROVIDER, type Scenario } from "./scenario-schema.ts";

/** One shared spec: the engine works out a spec's parameters once per object. */
const OK: StepSpec = Object.freeze({ step: "ok" });

export type ScenarioEvent =
  | {
      type: "phase";
      scenario: string;
      index: number;
      phase: string;
      durationMs: number;
      /** 0 for the first pass; counts up each time a looping scenario starts over. */
      cycle: number;
      at: number;
    }
  | { type: "end"; scenario: string; reason: "finished" | "stopped" | "replaced"; at: number };

/** One line per event, as `faultline mock` prints them. */
export function describeScenarioEvent(e: ScenarioEvent): string {
  if (e.type === "end") return `scenario ${e.scenario}: ${e.reason === "finished" ? "ended" : e.reason}`;
  const cycle = e.cycle > 0 ? `, cycle ${e.cycle + 1}` : "";
  return `scenario ${e.scenario}: phase "${e.phase}" (${e.durationMs} ms${cycle})`;
}

export interface ScenarioStatus {
  name: string;
  description: string;
  seed: number;
  loop: boolean;
  state: "playing" | "ended" | "stopped" | "replaced";
  cycle: number;
  phase: { index: number; name: string; durationMs: number; startedAt: number; endsAt: number } | null;
  phases: Array<{ name: string; durationMs: number }>;
}

/**
 * Plays a scenario by swapping the engine's default policy at each phase boundary. Requests that
 * carry a plan are untouched. Phase timers are unref'd so a scenario never keeps the process alive.
 */
export class ScenarioPlayer {
  private timer: NodeJS.Timeout | undefined;
  private index = -1;
  private cycle = 0;
  private startedAt = 0;
  private state: ScenarioStatus["state"] = "playing";
  /** Per phase entry: attempt counters and seeded random streams, so "fail N then succeed" restarts. */
  private phaseState: PlanState | undefined;
  private readonly policy: DefaultPolicy = (provider) => this.stepFor(provider);

  constructor(
    private readonly engine: MockEngine,
    readonly scenario: Scenario,
    private readonly onEvent: (e: ScenarioEvent) => void = () => {},
  ) {}

  start(): this {
    this.enter(0, Date.now());
    return this;
  }

  /** Clears the timer and, if this scenario still owns it, the engine's default policy. */
  stop(reason: "stopped" | "replaced" = "stopped"): void {
    if (this.state !== "playing") return;
    this.finish(reason);
  }

  status(): ScenarioStatus {
    const s = this.scenario;
    const ph = this.state === "playing" ? s.phases[this.index] : undefined;
    return {
      name: s.name,
      description: s.description,
      seed: s.seed,
      loop: s.loop,
      state: this.state,
      cycle: this.cycle,
      phase: ph
        ? {
            index: this.index,
            name: ph.name,
            durationMs: ph.durationMs,
            startedAt: this.startedAt,
            endsAt: this.startedAt + ph.durationMs,
          }
        : null,
      phases: s.phases.map((p) => ({ name: p.name, durationMs: p.durationMs })),
    };
  }

  private stepFor(provider: string): StepSpec {
    const st = this.phaseState;
    if (!st) return OK;
    const key = Object.hasOwn(st.plan.providers, provider) ? provider : ANY_PROVIDER;
    return stepFor(st.plan, key, st.next(provider), st.random(provider));
  }

  /** `at` is the planned start, not the timer's firing time, so long loops do not drift. */
  private enter(index: number, at: number): void {
    const s = this.scenario;
    if (index >= s.phases.length) {
      if (!s.loop) {
        this.finish("finished");
        return;
      }
      index = 0;
      this.cycle++;
    }
    const phase = s.phases[index]!;
    this.index = index;
    this.startedAt = at;
    const plan: Plan = {
      id: `${s.name}#${index}`,
      marker: "",
      label: phase.name,
      seed: hashSeed(s.seed, index, this.cycle),
      providers: phase.providers,
      createdAt: at,
    };
    this.phaseState = new PlanState(plan);
    this.engine.defaultPolicy = this.policy;
    const endsAt = at + phase.durationMs;
    this.timer = setTimeout(() => this.enter(index + 1, endsAt), Math.max(0, endsAt - Date.now()));
    this.timer.unref();
    this.onEvent({
      type: "phase",
      scenario: s.name,
      index,
      phase: phase.name,
      durationMs: phase.durationMs,
      cycle: this.cycle,
      at,
    });
  }

  private finish(reason: "finished" | "stopped" | "replaced"): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.phaseState = undefined;
    this.state = reason === "finished" ? "ended" : reason;
    if (this.engine.defaultPolicy === this.policy) this.engine.defaultPolicy = undefined;
    this.onEvent({ type: "end", scenario: this.scenario.name, reason, at: Date.now() });
  }
}
