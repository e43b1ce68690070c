import { getPath } from "../../core/json-path.ts";
import type { Profile } from "../../core/profile/schema.ts";
import type { Exchange } from "../harness/types.ts";
import { stepOf } from "./idempotency.ts";
import { defineCheck } from "./registry.ts";
import { describeResponse, show } from "./util.ts";

// The async task lifecycle: docs/contract.md, built-in profiles (llmapi and data-envelope); LLMAPI docs, Errors.
const ROW = "docs/contract.md, built-in profiles (llmapi; async image tasks)";

const notDeclared = (p: Profile) => (p.tasks ? undefined : "the profile declares no async tasks (tasks:)");
const isTaskCase = (condition: string) => condition.startsWith("task.");

/** Task answers are judged in the task paths' own error shape. */
function taskCode(ex: Exchange, p: Profile): unknown {
  return getPath(ex.json, (p.tasks?.envelope ?? p.envelope).code);
}

function expectError(
  ex: Exchange,
  p: Profile,
  condition: "task.already_terminal" | "task.not_found",
  status: number,
): string | undefined {
  const mapped = p.conditions[condition];
  const codes = mapped === undefined ? undefined : [mapped].flat();
  const want = p.catalogue[codes?.[0] ?? ""]?.status;
  const statuses = typeof want === "number" ? [want] : Array.isArray(want) ? want : [status];
  if (
    ex.status !== undefined &&
    statuses.includes(ex.status) &&
    (!codes || codes.includes(taskCode(ex, p) as string))
  )
    return undefined;
  return `${statuses.join(" or ")}${codes ? ` with code ${codes.join(" or ")}` : ""}`;
}

// LLMAPI docs, Errors: "If an async image submit request returned 202, use the returned task_id for
// follow-up checks instead of immediately submitting a duplicate task after a client-side timeout."
defineCheck({
  id: "TASK-001",
  notDeclared,
  level: "must",
  title: "Submitting a task answers the accepted status with a task id",
  sentence: "Async image tasks: 202 with task_id.",
  source: `${ROW}; LLMAPI docs, Errors`,
  fix: "Answer a submitted task at once with the accepted status and its id at the documented field; run it in the background.",
  applies: (j) => isTaskCase(j.case.condition) && stepOf(j.exchange, "submit")?.exchange.status !== undefined,
  judge: ({ exchange, profile: p }) => {
    const submit = stepOf(exchange, "submit")!.exchange;
    const spec = p.tasks!;
    const id = getPath(submit.json, spec.idField);
    if (submit.status === spec.acceptedStatus && typeof id === "string" && id !== "") return undefined;
    return {
      expected: `${spec.acceptedStatus} with a task id at ${spec.idField}`,
      received: `${describeResponse(submit)} (${spec.idField}: ${show(id)})`,
    };
  },
});

// LLMAPI docs, Errors: "504 Timeout: Upstream or task execution timed out." A task is bounded like a request.
defineCheck({
  id: "TASK-002",
  notDeclared,
  level: "must",
  title: "A task reaches a terminal state within the deadline",
  sentence:
    "Polling a submitted task reaches a terminal state within the gateway's deadline (docs/contract.md §11), even when providers fail.",
  source: `${ROW}; docs/contract.md §11 Deadline; LLMAPI docs, Errors`,
  fix: "Give every task the same attempt timeouts and overall deadline as a synchronous request, and record how it ended.",
  applies: (j) => isTaskCase(j.case.condition) && stepOf(j.exchange, "poll") !== undefined,
  judge: ({ exchange, profile: p }) => {
    const poll = stepOf(exchange, "poll")!;
    const spec = p.tasks!;
    const state = getPath(poll.exchange.json, spec.stateField);
    if (poll.exchange.status === 200 && spec.terminalStates.includes(String(state))) return undefined;
    return {
      expected: `${spec.stateField} one of ${spec.terminalStates.join(", ")} within the deadline`,
      received: `${show(state)} after ${poll.polls ?? 1} polls${poll.pollTimedOut ? " (the deadline passed)" : ""}: ${describeResponse(poll.exchange)}`,
    };
  },
});

// LLMAPI docs, Errors: "409 State conflict: Canceling an async task that already finished.";
// IMAGE_TASK_ALREADY_TERMINAL 409 "Task is already finished and cannot be canceled."
defineCheck({
  id: "TASK-003",
  notDeclared,
  level: "must",
  title: "Cancelling a finished task is a conflict",
  sentence: "409 when cancelling a finished task.",
  source: `${ROW}; LLMAPI docs, Errors`,
  fix: "Check the task's state before cancelling; answer a finished task's cancel with 409 and the documented code.",
  applies: (j) => {
    if (j.case.condition !== "task.already_terminal" || !j.profile.tasks) return false;
    const poll = stepOf(j.exchange, "poll");
    const state = String(getPath(poll?.exchange.json, j.profile.tasks.stateField));
    return j.profile.tasks.terminalStates.includes(state) && stepOf(j.exchange, "cancel") !== undefined;
  },
  judge: ({ exchange, profile: p }) => {
    const cancel = stepOf(exchange, "cancel")!.exchange;
    const want = expectError(cancel, p, "task.already_terminal", 409);
    return want ? { expected: want, received: describeResponse(cancel) } : undefined;
  },
});

// LLMAPI docs, Errors: IMAGE_TASK_NOT_FOUND 404 "Task does not exist or does not belong to the caller.";
// data-envelope gateway's Errors guide: "404: resource not found or not owned by the caller."
defineCheck({
  id: "TASK-004",
  notDeclared,
  level: "must",
  title: "Another caller's task, or an unknown one, is not found",
  sentence: "404 for a task that is not the caller's.",
  source: `${ROW}; LLMAPI docs, Errors; data-envelope gateway's Errors guide`,
  fix: "Look tasks up by id and owner together; answer any miss, including another client's task, with 404.",
  applies: (j) =>
    j.case.condition === "task.not_found" && !!j.exchange.steps?.some((s) => s.name.startsWith("foreign")),
  judge: ({ exchange, profile: p }) => {
    for (const s of exchange.steps ?? []) {
      if (!s.name.startsWith("foreign") || !s.exchange) continue;
      const want = expectError(s.exchange, p, "task.not_found", 404);
      if (want) return { expected: `${want} (${s.name})`, received: describeResponse(s.exchange) };
    }
    return undefined;
  },
});
