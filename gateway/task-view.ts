import type { Tasks } from "../core/profile/schema.ts";
import type { Task } from "./task-store.ts";

export type TaskOp = "submit" | "poll" | "cancel";

export type TaskRoute = { op: TaskOp; id?: string } | { allow: string[] };

/** Matches a path against the profile's task endpoints (`/v1/tasks/{id}`); `{allow}` when only the method is wrong. */
export function matchTaskRoute(spec: Tasks, method: string, path: string): TaskRoute | undefined {
  const hits: Array<{ op: TaskOp; method: string; id?: string }> = [];
  for (const op of ["submit", "poll", "cancel"] as const) {
    const ep = spec[op];
    const pattern = ep.path
      .split("{id}")
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join("([^/]+)");
    const m = new RegExp(`^${pattern}$`).exec(path);
    if (m)
      hits.push({ op, method: ep.method, id: m[1] === undefined ? undefined : decodeURIComponent(m[1]) });
  }
  if (hits.length === 0) return undefined;
  const hit = hits.find((h) => h.method === method);
  return hit ? { op: hit.op, id: hit.id } : { allow: [...new Set(hits.map((h) => h.method))] };
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = target;
  for (const k of keys.slice(0, -1)) {
    if (typeof node[k] !== "object" || node[k] === null) node[k] = {};
    node = node[k] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}

/**
 * A task as its owner sees it, at the profile's paths: `{task_id, status, …}` bare (llmapi), or inside the
 * success envelope (data-envelope's `{success: true, data: {task_id, status, …}, error: null}`).
 */
export function renderTask(spec: Tasks, t: Task, idField = spec.idField): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(spec.fixed)) setPath(out, path, value);
  const dot = spec.idField.lastIndexOf(".");
  const at = (k: string) => (dot < 0 ? k : `${spec.idField.slice(0, dot)}.${k}`);
  setPath(out, idField, t.id);
  setPath(out, spec.stateField, t.state);
  setPath(out, at("model"), t.model);
  setPath(out, at("created_at"), new Date(t.createdAt).toISOString());
  if (t.result) setPath(out, at("result"), t.result);
  // Not `error`: a top-level `error` object on a 2xx reads as an error envelope (docs/contract.md §5).
  if (t.error) setPath(out, at("failure"), t.error);
  return out;
}
