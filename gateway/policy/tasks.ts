import type { Task } from "../task-store.ts";

/** The async task lifecycle (docs/contract.md, the llmapi and data-envelope rows of the built-in profiles). */
export interface TaskPolicy {
  /** Whether an endpoint honours Idempotency-Key: every POST the profile declares does (§14). */
  honoursIdempotency(endpoint: "chat" | "task"): boolean;
  /** Whether `caller` may poll or cancel `task`: only its owner (404 for anyone else). */
  seesTask(task: Task, caller: string): boolean;
  /** The path a task's id is rendered at: the profile's `idField`. */
  taskIdField(idField: string): string;
  /** A cancel of a finished task: a 409 `conflict`, never an `ok` that pretends to cancel it. */
  cancelFinished(task: Task): "conflict" | "ok";
  /** Whether a picked-up task is run through the providers: always, so it finishes. */
  runsTask(task: Task): boolean;
}
