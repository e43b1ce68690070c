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
import "./credentials.ts";
import "./billing.ts";
import "./amplification.ts";
import "./retry-after-gateway.ts";
import "./internals.ts";
import "./stream-silence.ts";
import "./retryability.ts";
import "./disconnect.ts";
import "./crosstalk.ts";
import "./usage.ts";

export type { Check, Finding, Judgement, RunState } from "./registry.ts";
export { allChecks, check, defineCheck, levelOf } from "./registry.ts";
