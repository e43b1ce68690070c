import type { Dispatcher } from "undici";
import { failover } from "./failover.ts";
import type { ResolvedOptions, Upstream } from "./options.ts";
import type { FailoverPolicy } from "./policy/failover.ts";
import type { TaskPolicy } from "./policy/tasks.ts";
import type { Task, TaskStore } from "./task-store.ts";

export interface TaskRunDeps {
  opts: ResolvedOptions;
  policy: FailoverPolicy & TaskPolicy;
  dispatcher: Dispatcher;
  store: TaskStore;
}

function contentOf(completion: Record<string, unknown>): string {
  const c = (completion as { choices?: Array<{ message?: { content?: unknown } }> }).choices?.[0]?.message
    ?.content;
  return typeof c === "string" ? c : "";
}

/**
 * Runs a task through the upstreams with the same failover as chat, under the gateway's deadline, and
 * records how it ended. A cancel aborts its attempts; whatever ends first wins (TaskStore.finish).
 */
export async function runTask(t: Task, d: TaskRunDeps): Promise<void> {
  if (t.state !== "queued") return;
  t.state = "running";
  if (!d.policy.runsTask(t)) return;
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), d.opts.deadlineMs);
  const profile = d.opts.profile;
  try {
    const out = await failover({
      upstreams: d.opts.upstreams,
      dispatcher: d.dispatcher,
      payload: JSON.stringify({
        model: d.opts.upstreamModel,
        messages: [{ role: "user", content: t.prompt }],
        max_tokens: 64,
      }),
      stream: false,
      headersFor: (u: Upstream) => ({
        "content-type": "application/json",
        accept: "application/json",
        authorization: `Bearer ${d.opts.upstreamKey(u.name)}`,
        "user-agent": "faultline-reference-gateway",
        ...(t.planHeader ? { "x-faultline-plan": t.planHeader } : {}),
      }),
      stops: [
        [t.abort.signal, "client"],
        [deadline.signal, "deadline"],
      ],
      attemptTimeoutMs: d.opts.attemptTimeoutMs,
      policy: d.policy,
    });
    switch (out.kind) {
      case "completion":
        d.store.finish(t, "succeeded", {
          result: { text: contentOf(out.completion), provider: out.provider },
        });
        return;
      case "client_gone":
        d.store.finish(t, "canceled");
        return;
      case "upstream_error":
        d.store.finish(t, "failed", {
          error: {
            code: profile.upstreamError.code,
            message: `The provider rejected the task (status ${out.status})`,
          },
        });
        return;
      case "stream":
        // Not reached (tasks ask for JSON), but a stream must never be left open.
        out.guard.dispose();
        void out.reader.close();
        d.store.finish(t, "failed", { error: { code: "INTERNAL_ERROR", message: "unexpected stream" } });
        return;
      default:
        d.store.finish(t, "failed", {
          error: { code: profile.exhaustion.codes[0]!, message: "All providers failed to run the task" },
        });
    }
  } catch {
    d.store.finish(t, "failed", {
      error: { code: "INTERNAL_ERROR", message: "The task failed unexpectedly" },
    });
  } finally {
    clearTimeout(timer);
  }
}
