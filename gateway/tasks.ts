import { createHash } from "node:crypto";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { Dispatcher } from "undici";
import type { Condition, Tasks } from "../core/profile/schema.ts";
import type { AuthResult } from "./auth.ts";
import { readJsonBody } from "./body.ts";
import { Contract } from "./contract.ts";
import { GatewayError } from "./error-spec.ts";
import type { IdempotencyLayer } from "./idempotency.ts";
import type { ResolvedOptions } from "./options.ts";
import type { ErrorPolicy } from "./policy/errors.ts";
import type { FailoverPolicy } from "./policy/failover.ts";
import type { TaskPolicy } from "./policy/tasks.ts";
import { type Responder, sendError, sendJson } from "./respond.ts";
import { runTask } from "./task-runner.ts";
import { type Task, TaskStore, TERMINAL } from "./task-store.ts";
import { matchTaskRoute, renderTask } from "./task-view.ts";

// The async task lifecycle of LLMAPI docs, Errors (lines 47-59, 107, 112) and docs/contract.md's llmapi and
// data-envelope rows: submit → 202 with a task id; poll; cancel; 409 for a finished task; 404 for a
// task that is not the caller's.

export interface TaskDeps {
  opts: ResolvedOptions;
  policy: ErrorPolicy & FailoverPolicy & TaskPolicy;
  dispatcher: Dispatcher;
  authenticate(headers: IncomingHttpHeaders): AuthResult;
  /** Set when the profile declares idempotency: submits are generation POSTs (data-envelope gateway's Errors guide). */
  idempotency?: IdempotencyLayer;
}

/** Where the profile names no code for a task condition, its status still follows the seeds. */
const FALLBACK: Partial<Record<Condition, { code: string; status: number }>> = {
  "task.not_found": { code: "NOT_FOUND", status: 404 },
  "task.already_terminal": { code: "CONFLICT", status: 409 },
};

const owner = (key: string) => createHash("sha256").update(key).digest("hex").slice(0, 32);

export class TaskService {
  private readonly store = new TaskStore();
  private readonly contract: Contract;

  constructor(
    private readonly spec: Tasks,
    private readonly deps: TaskDeps,
  ) {
    const p = deps.opts.profile;
    this.contract = new Contract({ ...p, envelope: spec.envelope ?? p.envelope }, deps.policy);
  }

  /** Answers the request when its path is a task path; false otherwise, for the gateway's own routes. */
  async handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<boolean> {
    const method = req.method ?? "GET";
    const path = new URL(req.url ?? "/", "http://gateway").pathname;
    const route = matchTaskRoute(this.spec, method, path);
    if (!route) return false;
    const reply: Responder = {
      res,
      contract: this.contract,
      requestId,
      retryAfterS: this.deps.opts.retryAfterS,
    };
    try {
      if ("allow" in route) {
        const allow = route.allow.join(", ");
        const msg = `Method ${method} is not allowed on ${path}; use ${allow}`;
        throw new GatewayError(this.contract.condition("method.unsupported", msg, { headers: { allow } }));
      }
      const auth = this.deps.authenticate(req.headers);
      if (!auth.ok) throw new GatewayError(this.contract.condition(auth.condition, auth.message));
      const who = owner(auth.key);
      if (route.op === "submit") {
        const idem = this.deps.policy.honoursIdempotency("task") ? this.deps.idempotency : undefined;
        const call = { req, reply, credential: auth.key, maxBodyBytes: this.maxBodyBytes() };
        if (idem) await idem.run(call, (r) => this.submit(r, reply, who));
        else await this.submit(req, reply, who);
        return true;
      }
      const found = this.store.get(route.id!);
      const task = found && this.deps.policy.seesTask(found, who) ? found : undefined;
      if (!task) throw new GatewayError(this.error("task.not_found", `Task ${route.id} not found`));
      if (route.op === "poll") this.send(reply, 200, task);
      else this.cancel(reply, task);
    } catch (e) {
      if (e instanceof GatewayError) sendError(reply, e.spec);
      else
        sendError(reply, { code: "INTERNAL_ERROR", status: 500, message: "The gateway failed unexpectedly" });
    }
    return true;
  }

  close(): void {
    this.store.close();
  }

  private maxBodyBytes(): number {
    return this.deps.opts.profile.limits.maxBodyBytes ?? this.deps.opts.maxBodyBytes;
  }

  private error(cond: Condition, message: string) {
    const fb = FALLBACK[cond] ?? { code: "GATEWAY_ERROR", status: 400 };
    const code = this.contract.codeFor(cond) ?? fb.code;
    return { code, status: this.contract.statusOf(code, fb.status), message };
  }

  private send(reply: Responder, status: number, task: Task): void {
    sendJson(reply, status, renderTask(this.spec, task, this.deps.policy.taskIdField(this.spec.idField)));
  }

  private async submit(req: IncomingMessage, reply: Responder, who: string): Promise<void> {
    const body = await readJsonBody(req, this.maxBodyBytes());
    if (!body.ok) throw new GatewayError(this.contract.condition(body.condition, body.message));
    const b = (typeof body.value === "object" && body.value !== null ? body.value : {}) as Record<
      string,
      unknown
    >;
    // LLMAPI docs, Errors: "prompt must be a non-empty string".
    if (typeof b.prompt !== "string" || b.prompt.trim() === "") {
      throw new GatewayError(
        this.contract.condition("request.invalid", "prompt must be a non-empty string", { param: "prompt" }),
      );
    }
    const model = b.model === undefined ? this.deps.opts.models[0]! : b.model;
    if (typeof model !== "string" || !this.deps.opts.models.includes(model)) {
      const msg = `Model ${JSON.stringify(model)} is not a supported model`;
      throw new GatewayError(this.contract.condition("model.unknown", msg, { param: "model" }));
    }
    if (b.stream === true) {
      const msg = "Async tasks do not support stream: true";
      throw new GatewayError(this.contract.condition("request.invalid", msg, { param: "stream" }));
    }
    const plan = req.headers["x-faultline-plan"];
    const task = this.store.create(who, {
      model,
      prompt: b.prompt,
      planHeader: typeof plan === "string" ? plan : undefined,
    });
    this.send(reply, this.spec.acceptedStatus, task);
    setImmediate(() => void runTask(task, { ...this.deps, store: this.store }));
  }

  private cancel(reply: Responder, task: Task): void {
    if (TERMINAL.has(task.state)) {
      if (this.deps.policy.cancelFinished(task) === "ok") {
        this.send(reply, 200, task);
        return;
      }
      // LLMAPI docs, Errors: IMAGE_TASK_ALREADY_TERMINAL 409 "Task is already finished and cannot be canceled".
      const msg = `Task ${task.id} already ${task.state} and cannot be canceled; fetch its state instead`;
      throw new GatewayError(this.error("task.already_terminal", msg));
    }
    this.store.finish(task, "canceled");
    task.abort.abort();
    this.send(reply, 200, task);
  }
}
