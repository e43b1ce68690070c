// Faultline's harness entry (`faultline`): suites, checks, profiles, targets and the runner.
import { blackbox } from "./blackbox.ts";
import { disconnect } from "./disconnect.ts";
import type { Suite } from "./harness/property.ts";
import { requestShape } from "./request-shape.ts";
import { resilience } from "./resilience.ts";
import { idempotency, tasks } from "./stateful.ts";
import { streams, upstream } from "./upstream.ts";

export { loadProfile } from "../core/profile/load.ts";
export type { Profile } from "../core/profile/schema.ts";
export type { Check, Finding, Judgement } from "./checks/index.ts";
export { allChecks, check, defineCheck } from "./checks/index.ts";
export type { Property, Suite } from "./harness/property.ts";
export type { CaseSpec, Exchange } from "./harness/types.ts";
export { resolveTarget, type Target } from "./target.ts";

/** Every suite, in the order a run reports them. */
export const SUITES: Suite[] = [
  blackbox,
  requestShape,
  upstream,
  streams,
  idempotency,
  tasks,
  resilience,
  disconnect,
];
