// Importing this module registers every check.
import "./envelope.ts";
import "./conditions.ts";
import "./upstream.ts";
import "./retry-after.ts";
import "./leaks.ts";
import "./liveness.ts";
import "./streams.ts";
import "./profile-features.ts";
import "./idempotency.ts";
import "./tasks.ts";
import "./request-shape.ts";

export type { Check, Finding, Judgement, RunState } from "./registry.ts";
export { allChecks, check, defineCheck, levelOf } from "./registry.ts";
