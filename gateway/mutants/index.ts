// The catalogue of one-defect mutants: one file each in this folder, listed here by hand (a test fails
// when a file is missing from the list). Each bends one member of the reference gateway's policy.
import { UsageError } from "../../core/errors.ts";
import { type GatewayPolicy, REFERENCE_POLICY } from "../policy.ts";
import accept_required from "./accept_required.ts";
import amplify_429 from "./amplify_429.ts";
import anthropic_openai_shape from "./anthropic_openai_shape.ts";
import auth_ignored from "./auth_ignored.ts";
import balance_402 from "./balance_402.ts";
import blocked_200_relayed from "./blocked_200_relayed.ts";
import breaker_never_closes from "./breaker_never_closes.ts";
import client_gone_ignored from "./client_gone_ignored.ts";
import concurrency_fields_missing from "./concurrency_fields_missing.ts";
import content_policy_failover from "./content_policy_failover.ts";
import data_not_null from "./data_not_null.ts";
import type { Mutant, Mutation } from "./define.ts";
import did_you_mean_bogus from "./did_you_mean_bogus.ts";
import empty_body_drops from "./empty_body_drops.ts";
import error_behind_200 from "./error_behind_200.ts";
import error_stack from "./error_stack.ts";
import exhaustion_200 from "./exhaustion_200.ts";
import exhaustion_no_answer from "./exhaustion_no_answer.ts";
import exit_on_stream_reset from "./exit_on_stream_reset.ts";
import field_generic from "./field_generic.ts";
import flat_envelope from "./flat_envelope.ts";
import forward_client_key from "./forward_client_key.ts";
import gemini_openai_shape from "./gemini_openai_shape.ts";
import idem_chat_only from "./idem_chat_only.ts";
import idem_errors_not_stored from "./idem_errors_not_stored.ts";
import idem_global_keys from "./idem_global_keys.ts";
import idem_in_flight_duplicate from "./idem_in_flight_duplicate.ts";
import idem_mismatch_accepted from "./idem_mismatch_accepted.ts";
import idem_quoted_differs from "./idem_quoted_differs.ts";
import idem_replay_calls_upstream from "./idem_replay_calls_upstream.ts";
import idem_replay_content_type from "./idem_replay_content_type.ts";
import idem_stuck_after_error from "./idem_stuck_after_error.ts";
import leak_key from "./leak_key.ts";
import leak_upstream_url from "./leak_upstream_url.ts";
import malformed_json_500 from "./malformed_json_500.ts";
import missing_key_as_invalid from "./missing_key_as_invalid.ts";
import no_deadline from "./no_deadline.ts";
import no_failover from "./no_failover.ts";
import no_request_id from "./no_request_id.ts";
import no_retry_after from "./no_retry_after.ts";
import raw_passthrough from "./raw_passthrough.ts";
import request_id_reused from "./request_id_reused.ts";
import retry_after_mismatch from "./retry_after_mismatch.ts";
import retry_after_own from "./retry_after_own.ts";
import retry_same_provider_early from "./retry_same_provider_early.ts";
import retry_spent_quota from "./retry_spent_quota.ts";
import retry_storm from "./retry_storm.ts";
import retryable_wrong from "./retryable_wrong.ts";
import route_plaintext from "./route_plaintext.ts";
import shared_answer from "./shared_answer.ts";
import sse_bad_framing from "./sse_bad_framing.ts";
import storm_drops_retry_after from "./storm_drops_retry_after.ts";
import stream_done_after_break from "./stream_done_after_break.ts";
import stream_error_then_done from "./stream_error_then_done.ts";
import stream_no_failover from "./stream_no_failover.ts";
import stream_no_idle_limit from "./stream_no_idle_limit.ts";
import task_cancel_finished_200 from "./task_cancel_finished_200.ts";
import task_never_finishes from "./task_never_finishes.ts";
import task_no_id from "./task_no_id.ts";
import task_other_caller_visible from "./task_other_caller_visible.ts";
import timestamp_epoch from "./timestamp_epoch.ts";
import too_large_400 from "./too_large_400.ts";
import unknown_model_200 from "./unknown_model_200.ts";
import unknown_model_as_invalid from "./unknown_model_as_invalid.ts";
import unlisted_code from "./unlisted_code.ts";
import upstream_auth_as_401 from "./upstream_auth_as_401.ts";
import upstream_before_refusal from "./upstream_before_refusal.ts";
import upstream_length_in_chars from "./upstream_length_in_chars.ts";
import upstream_status_502 from "./upstream_status_502.ts";
import usage_inflated from "./usage_inflated.ts";
import wrong_status from "./wrong_status.ts";

export { defineMutant, type Mutant, type Mutation, type OutageProbe } from "./define.ts";

/** The first catalogue: envelopes, rejections, failover, exhaustion, leaks, deadlines, streams. */
export const CORE_MUTATIONS: readonly Mutant[] = [
  exhaustion_200,
  raw_passthrough,
  no_failover,
  content_policy_failover,
  malformed_json_500,
  no_retry_after,
  auth_ignored,
  unknown_model_200,
  wrong_status,
  unlisted_code,
  upstream_auth_as_401,
  leak_key,
  no_deadline,
  stream_done_after_break,
  flat_envelope,
  error_behind_200,
  unknown_model_as_invalid,
  upstream_status_502,
  route_plaintext,
  retry_same_provider_early,
  stream_no_failover,
  sse_bad_framing,
  leak_upstream_url,
  exhaustion_no_answer,
  exit_on_stream_reset,
  empty_body_drops,
];

/** Profile features: request ids, timestamps, field codes, hints, families, fixed fields, statuses. */
export const PROFILE_MUTATIONS: readonly Mutant[] = [
  request_id_reused,
  no_request_id,
  timestamp_epoch,
  field_generic,
  missing_key_as_invalid,
  retryable_wrong,
  did_you_mean_bogus,
  retry_after_mismatch,
  anthropic_openai_shape,
  concurrency_fields_missing,
  data_not_null,
  balance_402,
  too_large_400,
  gemini_openai_shape,
];

/** Stateful features: idempotent replay, async tasks. */
export const STATEFUL_MUTATIONS: readonly Mutant[] = [
  idem_replay_calls_upstream,
  idem_mismatch_accepted,
  idem_in_flight_duplicate,
  idem_global_keys,
  idem_quoted_differs,
  task_no_id,
  task_never_finishes,
  task_cancel_finished_200,
  task_other_caller_visible,
];

/** How the gateway reads a request's optional headers. */
export const REQUEST_MUTATIONS: readonly Mutant[] = [accept_required];

/** The rules of docs/contract.md §18, §19, §23–§26. */
export const CHECK_MUTATIONS: readonly Mutant[] = [
  forward_client_key,
  upstream_before_refusal,
  amplify_429,
  retry_after_own,
  error_stack,
  stream_no_idle_limit,
  stream_error_then_done,
  shared_answer,
  usage_inflated,
  retry_spent_quota,
  blocked_200_relayed,
  client_gone_ignored,
];

/** Defects only richer cases reach: non-ASCII prompts, task idempotency, stored errors. */
export const COVERAGE_MUTATIONS: readonly Mutant[] = [
  upstream_length_in_chars,
  idem_chat_only,
  idem_replay_content_type,
  idem_errors_not_stored,
  idem_stuck_after_error,
];

/** Defects only an outage run shows: traffic over time, an outage that ends. */
export const OUTAGE_MUTATIONS: readonly Mutant[] = [
  retry_storm,
  breaker_never_closes,
  storm_drops_retry_after,
];

/** Every mutant, in catalogue order. */
export const MUTANTS: readonly Mutant[] = [
  ...CORE_MUTATIONS,
  ...PROFILE_MUTATIONS,
  ...STATEFUL_MUTATIONS,
  ...REQUEST_MUTATIONS,
  ...CHECK_MUTATIONS,
  ...COVERAGE_MUTATIONS,
  ...OUTAGE_MUTATIONS,
];

/** The mutants `faultline run` catches, one case at a time: every mutant but the outage ones. */
export const MUTATIONS: readonly Mutation[] = MUTANTS.filter((m) => !m.outage);

const BY_ID = new Map(MUTANTS.map((m) => [m.id, m]));
if (BY_ID.size !== MUTANTS.length) throw new Error("a mutant id is registered twice");

/** The ids of the mutants `faultline run` catches. */
export function mutationIds(): string[] {
  return MUTATIONS.map((m) => m.id);
}

export function mutation(id: string): Mutant | undefined {
  return BY_ID.get(id);
}

/** The ids of the mutants only an outage run catches. */
export function outageMutationIds(): string[] {
  return OUTAGE_MUTATIONS.map((m) => m.id);
}

export function isOutageMutation(id: string): boolean {
  return BY_ID.get(id)?.outage !== undefined;
}

/** Rejects unknown defect ids, listing the valid ones. */
export function assertDefects(defects: readonly string[], flag = "defects"): void {
  for (const d of defects) {
    if (!BY_ID.has(d)) {
      const ids = MUTANTS.map((m) => m.id).join(", ");
      throw new UsageError(`${flag}: unknown defect "${d}"; expected one of ${ids}`);
    }
  }
}

/** The reference policy with the member each named mutant bends replaced by the mutant's. */
export function policyFor(defects: readonly string[]): GatewayPolicy {
  let p = REFERENCE_POLICY;
  for (const id of defects) {
    const m = BY_ID.get(id);
    if (m) p = { ...p, ...m.policy };
  }
  return p;
}
