import type { GatewayPolicy } from "../policy/types.ts";

/**
 * How an outage-level mutant is caught: a short outage run (`faultline outage`) of this scenario, at this
 * rate, for this long. Only traffic over time shows these defects; one case at a time never builds a storm.
 */
export interface OutageProbe {
  scenario: string;
  rate: number;
  durationS: number;
  /** A profile override that gives recovery this long (s), so a gateway that never recovers shows soon. */
  recoveryS?: number;
}

/**
 * A one-defect variant of the reference gateway. Each changes exactly one behaviour, and
 * `expectedCheck` names the conformance check that must catch it (a check that cannot fail is a defect).
 */
export interface Mutation {
  id: string;
  summary: string;
  family:
    | "envelope"
    | "rejection"
    | "condition"
    | "failover"
    | "exhaustion"
    | "upstream"
    | "retry-after"
    | "deadline"
    | "leak"
    | "stream"
    | "route"
    | "hints"
    | "request-id"
    | "field"
    | "family"
    | "idempotency"
    | "tasks"
    | "liveness"
    | "recovery";
  expectedCheck: string;
  /** The profile the mutant runs with (default lumenfall): some defects only show in some contracts. */
  profile?: string;
  /** Set for the mutants only an outage run catches; the others are caught by `faultline run`. */
  outage?: OutageProbe;
}

/** A mutation and the one policy member it bends. */
export interface Mutant extends Mutation {
  policy: Partial<GatewayPolicy>;
}

/** Declares a mutant; refuses one that bends no member or more than one, or has a malformed id or check. */
export function defineMutant(m: Mutant): Mutant {
  const bent = Object.keys(m.policy);
  if (bent.length !== 1)
    throw new Error(
      `mutant ${m.id}: expected exactly one policy member, saw ${bent.length} (${bent.join(", ") || "none"})`,
    );
  if (!/^[a-z0-9]+(_[a-z0-9]+)*$/.test(m.id)) throw new Error(`mutant "${m.id}": expected a snake_case id`);
  if (!/^[A-Z]+-\d{3}$/.test(m.expectedCheck))
    throw new Error(`mutant ${m.id}: expected a check id like ENV-001, saw "${m.expectedCheck}"`);
  return m;
}
