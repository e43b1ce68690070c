import { UsageError } from "../core/errors.ts";
import { CHECK_MUTATIONS } from "./mutations-checks.ts";
import { COVERAGE_MUTATIONS } from "./mutations-coverage.ts";
import { PROFILE_MUTATIONS } from "./mutations-profile.ts";
import { REQUEST_MUTATIONS } from "./mutations-request.ts";
import { STATEFUL_MUTATIONS } from "./mutations-stateful.ts";

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
    | "liveness";
  expectedCheck: string;
  /** The profile the mutant runs with (default lumenfall): some defects only show in some contracts. */
  profile?: string;
}

export const CORE_MUTATIONS: readonly Mutation[] = [
  {
    id: "exhaustion_200",
    family: "exhaustion",
    expectedCheck: "EXH-001",
    summary: "exhaustion answered 200 with an empty completion",
  },
  {
    id: "raw_passthrough",
    family: "exhaustion",
    expectedCheck: "EXH-002",
    summary: "exhaustion answered with the last provider's status and raw body",
  },
  {
    id: "no_failover",
    family: "failover",
    expectedCheck: "FO-001",
    summary: "the first provider's retryable failure is answered as exhaustion",
  },
  {
    id: "content_policy_failover",
    family: "upstream",
    expectedCheck: "UPS-002",
    summary: "non-retryable upstream errors fail over to the next provider",
  },
  {
    id: "malformed_json_500",
    family: "rejection",
    expectedCheck: "SRV-001",
    summary: "an unparseable body is answered 500",
  },
  {
    id: "no_retry_after",
    family: "retry-after",
    expectedCheck: "RA-001",
    summary: "no answer carries Retry-After (429s, nor 503s where the profile asks for it)",
  },
  {
    id: "auth_ignored",
    family: "rejection",
    expectedCheck: "REJ-001",
    summary: "well-formed unknown keys are accepted",
  },
  {
    id: "unknown_model_200",
    family: "rejection",
    expectedCheck: "REJ-002",
    summary: "unknown models are routed upstream anyway",
  },
  {
    id: "wrong_status",
    family: "envelope",
    expectedCheck: "ENV-003",
    summary: "the request.invalid code is answered with 422 instead of its catalogue status",
  },
  {
    id: "unlisted_code",
    family: "envelope",
    expectedCheck: "ENV-002",
    summary: "validation errors use code BAD_PARAMS, which is not in the catalogue",
  },
  {
    id: "upstream_auth_as_401",
    family: "exhaustion",
    expectedCheck: "EXH-001",
    summary: "a provider's 401 is answered as the client's 401 auth error",
  },
  {
    id: "leak_key",
    family: "leak",
    expectedCheck: "LEAK-001",
    summary: "the exhaustion message quotes the upstream Authorization header",
  },
  {
    id: "no_deadline",
    family: "deadline",
    expectedCheck: "DL-001",
    summary: "no attempt timeout or deadline: a hung provider is waited on until the client gives up",
  },
  {
    id: "stream_done_after_break",
    family: "stream",
    expectedCheck: "STR-002",
    summary: "a broken upstream stream ends with data: [DONE] after the error event",
  },
  {
    id: "flat_envelope",
    family: "envelope",
    expectedCheck: "ENV-001",
    summary: "errors are rendered as a flat {code,message} object, ignoring the profile's paths",
  },
  {
    id: "error_behind_200",
    family: "envelope",
    expectedCheck: "ENV-004",
    summary: "a non-retryable upstream error is answered 200 with an error envelope",
  },
  {
    id: "unknown_model_as_invalid",
    family: "condition",
    expectedCheck: "COND-001",
    summary: "model.unknown is answered with the request.invalid code",
  },
  {
    id: "upstream_status_502",
    family: "upstream",
    expectedCheck: "UPS-001",
    summary: "non-retryable upstream errors are answered 502 instead of the provider's status",
  },
  {
    id: "route_plaintext",
    family: "route",
    expectedCheck: "ROUTE-001",
    summary: "unknown routes are answered 404 text/plain",
  },
  {
    id: "retry_same_provider_early",
    family: "retry-after",
    expectedCheck: "RA-003",
    summary: "after a provider's 429/503 with Retry-After, the same provider is asked again at once",
  },
  {
    id: "stream_no_failover",
    family: "stream",
    expectedCheck: "STR-001",
    summary:
      "streams are not failed over: the first provider's failure before the first byte ends the request",
  },
  {
    id: "sse_bad_framing",
    family: "stream",
    expectedCheck: "STR-003",
    summary: "relayed stream events are not separated by a blank line",
  },
  {
    id: "leak_upstream_url",
    family: "leak",
    expectedCheck: "LEAK-002",
    summary: "the exhaustion message names the last provider's base URL",
  },
  {
    id: "exhaustion_no_answer",
    family: "exhaustion",
    expectedCheck: "EXH-001",
    summary: "when every provider fails fast (no timeout), the connection is dropped without an answer",
  },
  {
    id: "exit_on_stream_reset",
    family: "liveness",
    expectedCheck: "LIVE-001",
    summary:
      "an upstream reset in the middle of a stream takes the gateway down (in process: it stops listening)",
  },
  {
    id: "empty_body_drops",
    family: "rejection",
    expectedCheck: "TRN-001",
    summary: "an empty request body drops the connection without an answer",
  },
];

/** Every mutation: the core ones above, the profile-feature ones and the stateful ones (idempotency, tasks). */
export const MUTATIONS: readonly Mutation[] = [
  ...CORE_MUTATIONS,
  ...PROFILE_MUTATIONS,
  ...STATEFUL_MUTATIONS,
  ...REQUEST_MUTATIONS,
  ...CHECK_MUTATIONS,
  ...COVERAGE_MUTATIONS,
];

const IDS = new Set(MUTATIONS.map((m) => m.id));
if (IDS.size !== MUTATIONS.length) throw new Error("a mutation id is registered twice");

export function mutationIds(): string[] {
  return MUTATIONS.map((m) => m.id);
}

export function mutation(id: string): Mutation | undefined {
  return MUTATIONS.find((m) => m.id === id);
}

/** Rejects unknown defect ids, listing the valid ones. */
export function assertDefects(defects: readonly string[], flag = "defects"): void {
  for (const d of defects) {
    if (!IDS.has(d)) {
      throw new UsageError(`${flag}: unknown defect "${d}"; expected one of ${mutationIds().join(", ")}`);
    }
  }
}
