import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { UsageError } from "../../core/errors.ts";
import { parseYaml } from "../../core/yaml.ts";
import type { ProviderPolicy } from "../../mocks/plan.ts";
import {
  ANY_PROVIDER,
  builtinScenarios,
  parseScenario,
  SCENARIO_DIR,
  type Scenario,
  ScenarioError,
} from "../../mocks/scenario-schema.ts";

/** One phase of an outage run, in milliseconds from the moment the scenario started. */
export interface OutagePhase {
  name: string;
  startMs: number;
  endMs: number;
  /** Every provider answers `ok`: the providers have recovered. */
  healthy: boolean;
  /**
   * The providers that answer `ok` to everything throughout the phase: one a gateway did not try after
   * another failed would have answered (its failover is judged, FO-001).
   */
  up: string[];
}

/** What an outage run plays: the scenario as the mock gets it, and the phases the report is cut into. */
export interface OutagePlan {
  name: string;
  description: string;
  seed: number;
  phases: OutagePhase[];
  /** When the trailing run of healthy phases begins: the providers have recovered (REC-001's clock). */
  recoveryStartMs: number;
  totalMs: number;
  /** The scenario document sent with `PUT /_faultline/scenario` (the mock validates it again). */
  document: RawScenario;
  /** How the phases were derived from the file, for the report (scaled, unrolled, recovery appended). */
  notes: string[];
}

interface RawPhase {
  name: string;
  durationMs: number;
  providers?: Record<string, unknown>;
}
interface RawScenario {
  name: string;
  description: string;
  seed?: number;
  loop?: boolean;
  phases: RawPhase[];
}

const answersOk = (p: ProviderPolicy | undefined) =>
  p === undefined || (p.kind === "sequence" && p.steps.every((s) => s.step === "ok"));

/** A phase is healthy when no provider is told to do anything but answer `ok`. */
function isHealthy(providers: Record<string, ProviderPolicy>): boolean {
  return Object.values(providers).every(answersOk);
}

/** The providers a phase leaves answering `ok` (a provider's own entry wins over `*`, as the mock plays it). */
function upIn(providers: Record<string, ProviderPolicy>, names: string[]): string[] {
  return names.filter((n) => answersOk(Object.hasOwn(providers, n) ? providers[n] : providers[ANY_PROVIDER]));
}

function readScenario(ref: string): { raw: unknown; file: string } {
  const isPath = /[/\\]|\.(ya?ml|json)$/.test(ref);
  const file = isPath ? resolve(ref) : join(SCENARIO_DIR, `${ref}.yaml`);
  if (!existsSync(file)) {
    throw new UsageError(
      isPath
        ? `--scenario: file not found: ${file}`
        : `--scenario: unknown scenario "${ref}"; expected one of ${builtinScenarios().join(", ")} or a path to a YAML/JSON file`,
    );
  }
  try {
    return { raw: parseYaml(readFileSync(file, "utf8")), file };
  } catch (e) {
    throw new UsageError(`--scenario: ${file} is not valid YAML or JSON: ${(e as Error).message}`);
  }
}

export interface PhaseOptions {
  /** The mock's providers: a phase that names another one is refused before the run. */
  providers: string[];
  /** The whole run's length in seconds; phases are scaled to it (default: the scenario's own length). */
  durationS?: number;
  seed?: number;
}

/** The share of a looping scenario's run given to its outage; the rest is recovery. */
const LOOP_OUTAGE_SHARE = 2 / 3;
const MIN_RECOVERY_MS = 10_000;

/**
 * Turns a scenario file into the phases of an outage run. Every outage run ends with the providers
 * recovered, so that recovery can be judged: a scenario whose last phase is not healthy gets a `recovered`
 * phase appended (half its length, at least 10 s). A looping scenario keeps its rhythm: its cycle is
 * repeated, unscaled, over the first two thirds of the run, then the providers recover. Any other scenario
 * is scaled as a whole to `--duration`.
 */
export function planOutage(ref: string, o: PhaseOptions): OutagePlan {
  const { raw, file } = readScenario(ref);
  let parsed: Scenario;
  try {
    parsed = parseScenario(raw, { providers: o.providers, seed: o.seed });
  } catch (e) {
    if (e instanceof ScenarioError) throw new UsageError(`--scenario ${file}:\n${e.message}`);
    throw e;
  }
  const doc = structuredClone(raw) as RawScenario;
  const notes: string[] = [];
  const oneCycleMs = doc.phases.reduce((a, p) => a + p.durationMs, 0);
  let phases: Array<RawPhase & { healthy: boolean; up: string[] }> = doc.phases.map((p, i) => ({
    ...p,
    healthy: isHealthy(parsed.phases[i]!.providers),
    up: upIn(parsed.phases[i]!.providers, o.providers),
  }));
  const recovered = (durationMs: number) => ({
    name: "recovered",
    durationMs,
    healthy: true,
    up: o.providers,
  });
  const targetMs = o.durationS !== undefined ? Math.round(o.durationS * 1000) : undefined;

  if (parsed.loop) {
    const totalMs = targetMs ?? Math.round(oneCycleMs / LOOP_OUTAGE_SHARE);
    const outageMs = Math.round(totalMs * LOOP_OUTAGE_SHARE);
    const cycle = phases;
    phases = [];
    for (let at = 0, i = 0; at < outageMs; i = (i + 1) % cycle.length) {
      const p = cycle[i]!;
      const durationMs = Math.min(p.durationMs, outageMs - at);
      phases.push({ ...p, durationMs });
      at += durationMs;
    }
    phases.push(recovered(totalMs - outageMs));
    notes.push(
      `the scenario loops: its ${oneCycleMs} ms cycle repeats for ${outageMs} ms, then the providers recover for ${totalMs - outageMs} ms`,
    );
  } else {
    if (!phases.at(-1)!.healthy) {
      const add = Math.max(MIN_RECOVERY_MS, Math.round(oneCycleMs / 2));
      phases.push(recovered(add));
      notes.push(
        `the scenario does not end with the providers recovered: a ${add} ms "recovered" phase was added`,
      );
    }
    const lengthMs = phases.reduce((a, p) => a + p.durationMs, 0);
    if (targetMs !== undefined && targetMs !== lengthMs) {
      const k = targetMs / lengthMs;
      let at = 0;
      phases = phases.map((p, i) => {
        // The last phase takes the rounding, so the phases add up to the duration exactly.
        const end = i === phases.length - 1 ? targetMs : Math.round((at + p.durationMs) * k);
        const scaled = { ...p, durationMs: Math.max(1, end - Math.round(at * k)) };
        at += p.durationMs;
        return scaled;
      });
      notes.push(`phases scaled by ${k.toFixed(3)} to the run's ${targetMs} ms`);
    }
  }

  let at = 0;
  const out: OutagePhase[] = phases.map((p) => {
    const ph = { name: p.name, startMs: at, endMs: at + p.durationMs, healthy: p.healthy, up: p.up };
    at += p.durationMs;
    return ph;
  });
  let tail = out.length;
  while (tail > 0 && out[tail - 1]!.healthy) tail--;
  return {
    name: parsed.name,
    description: parsed.description,
    seed: parsed.seed,
    phases: out,
    recoveryStartMs: out[tail]!.startMs,
    totalMs: at,
    document: {
      name: doc.name,
      description: doc.description,
      seed: parsed.seed,
      loop: false,
      phases: phases.map(({ healthy: _h, up: _u, ...p }) => p),
    },
    notes,
  };
}

/** The phase a moment (ms since the scenario started) falls in; the last phase takes anything later. */
export function phaseAt(plan: Pick<OutagePlan, "phases">, ms: number): number {
  for (let i = 0; i < plan.phases.length; i++) if (ms < plan.phases[i]!.endMs) return i;
  return plan.phases.length - 1;
}
