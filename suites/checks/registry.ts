import type { Level, Profile } from "../../core/profile/schema.ts";
import type { CaseSpec, Exchange } from "../harness/types.ts";
import type { Target } from "../target.ts";

/** What a check judges: one exchange, the case that produced it, and the mock's journal for it. */
export interface Judgement {
  profile: Profile;
  target: Target;
  case: CaseSpec;
  exchange: Exchange;
  /** What the run has seen so far, for checks across exchanges (unique request ids). */
  run?: RunState;
}

export interface RunState {
  /** Request id → the first response that carried it. */
  requestIds: Map<string, string>;
  /** Models the gateway lists, when it has a models endpoint. */
  models: string[];
}

/** A check's verdict on one exchange: nothing when it passes or does not apply. */
export interface Finding {
  expected: string;
  received: string;
}

export interface Check {
  id: string;
  level: Level | ((p: Profile) => Level);
  title: string;
  /** The sentence it enforces, quoted from its source. */
  sentence: string;
  source: string;
  /** How to fix a gateway that fails it. */
  fix: string;
  /** Why the check cannot apply to a profile at all (it declares no request id, no hints …). */
  notDeclared?(p: Profile): string | undefined;
  /** Whether the check has something to say about this exchange. */
  applies(j: Judgement): boolean;
  judge(j: Judgement): Finding | undefined;
}

const REGISTRY = new Map<string, Check>();

/** Registers a check by its stable id; an id registered twice is a programming error. */
export function defineCheck(c: Check): Check {
  if (REGISTRY.has(c.id)) throw new Error(`check ${c.id} is registered twice`);
  REGISTRY.set(c.id, c);
  return c;
}

export function check(id: string): Check {
  const c = REGISTRY.get(id);
  if (!c) throw new Error(`no check ${id}`);
  return c;
}

export function allChecks(): Check[] {
  return [...REGISTRY.values()].sort((a, b) => a.id.localeCompare(b.id, "en", { numeric: true }));
}

export function levelOf(c: Check, p: Profile): Level {
  return typeof c.level === "function" ? c.level(p) : c.level;
}
