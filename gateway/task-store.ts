import { randomBytes } from "node:crypto";
import { TtlStore } from "./ttl-store.ts";

export type TaskState = "queued" | "running" | "succeeded" | "failed" | "canceled";

export const TERMINAL: ReadonlySet<TaskState> = new Set(["succeeded", "failed", "canceled"]);

/** One async task: whose it is, where it stands, and how to stop it. */
export interface Task {
  id: string;
  /** A digest of the submitting client's key: only that client may see or cancel it. */
  owner: string;
  model: string;
  prompt: string;
  state: TaskState;
  createdAt: number;
  finishedAt?: number;
  result?: { text: string; provider: string };
  error?: { code: string; message: string };
  /** Stops the task's upstream attempts when it is canceled, evicted or the gateway closes. */
  abort: AbortController;
  /** Copied from the submit request, so the task's attempts reach the same mock plan. */
  planHeader?: string;
}

/** Bounded: at most `maxTasks`, each kept for `ttlMs`; a task evicted while running is stopped. */
export class TaskStore {
  private readonly store: TtlStore<Task>;

  constructor(limits: { maxTasks: number; ttlMs: number } = { maxTasks: 10_000, ttlMs: 3600_000 }) {
    this.store = new TtlStore(limits.maxTasks, limits.ttlMs, (t) => t.abort.abort());
  }

  create(owner: string, fields: Pick<Task, "model" | "prompt" | "planHeader">): Task {
    const task: Task = {
      id: `task_${randomBytes(12).toString("hex")}`,
      owner,
      state: "queued",
      createdAt: Date.now(),
      abort: new AbortController(),
      ...fields,
    };
    this.store.set(task.id, task);
    return task;
  }

  /** The task, whoever owns it: who may see it is the caller's decision (policy/tasks.ts `seesTask`). */
  get(id: string): Task | undefined {
    return this.store.get(id);
  }

  /** Moves a task to a terminal state once; later outcomes (a cancel racing a finish) are ignored. */
  finish(t: Task, state: TaskState, extra: Pick<Task, "result" | "error"> = {}): void {
    if (TERMINAL.has(t.state)) return;
    Object.assign(t, { state, finishedAt: Date.now() }, extra);
  }

  close(): void {
    for (const t of this.store.values()) t.abort.abort();
  }
}
