import type { Mutation } from "./mutations.ts";

/** One-defect mutations of the stateful features: idempotent replay, async tasks. */
export const STATEFUL_MUTATIONS: readonly Mutation[] = [
  {
    id: "idem_replay_calls_upstream",
    family: "idempotency",
    expectedCheck: "IDEM-001",
    profile: "data-envelope",
    summary: "a repeated Idempotency-Key after completion is executed again instead of replayed",
  },
  {
    id: "idem_mismatch_accepted",
    family: "idempotency",
    expectedCheck: "IDEM-002",
    profile: "data-envelope",
    summary: "a reused Idempotency-Key with another payload is executed instead of rejected",
  },
  {
    id: "idem_in_flight_duplicate",
    family: "idempotency",
    expectedCheck: "IDEM-003",
    profile: "data-envelope",
    summary: "a duplicate sent while the first is in flight is executed a second time",
  },
  {
    id: "idem_global_keys",
    family: "idempotency",
    expectedCheck: "IDEM-004",
    profile: "data-envelope",
    summary: "Idempotency-Keys are global: another client's request replays the first client's answer",
  },
  {
    id: "idem_quoted_differs",
    family: "idempotency",
    expectedCheck: "IDEM-005",
    profile: "data-envelope",
    summary: 'the quoted sf-string form ("abc") and the bare form (abc) are treated as different keys',
  },
  {
    id: "task_no_id",
    family: "tasks",
    expectedCheck: "TASK-001",
    profile: "data-envelope",
    summary: "the submit answer names the task's id `id`, not the profile's id field",
  },
  {
    id: "task_never_finishes",
    family: "tasks",
    expectedCheck: "TASK-002",
    profile: "llmapi",
    summary: "a task is picked up and stays running forever",
  },
  {
    id: "task_cancel_finished_200",
    family: "tasks",
    expectedCheck: "TASK-003",
    profile: "llmapi",
    summary: "cancelling a finished task answers 200 instead of 409",
  },
  {
    id: "task_other_caller_visible",
    family: "tasks",
    expectedCheck: "TASK-004",
    profile: "llmapi",
    summary: "any client may poll or cancel another client's task",
  },
];
