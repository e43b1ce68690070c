import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadProfile } from "../core/profile/load.ts";
import { GATEWAY_DEFAULTS, type Gateway, MUTATIONS, startGateway } from "../gateway/index.ts";
import { matchTaskRoute } from "../gateway/task-view.ts";
import { type MockServer, startMock } from "../mocks/server.ts";
import { runHarness } from "../scripts/cli/run.ts";
import { MockClient } from "../suites/harness/mock-client.ts";

// The async task lifecycle in the reference gateway: llmapi's bare task answers and {error:{type,message}}
// errors, data-envelope's {success, data, error} wrapping; then each task mutation caught by its check.
const llmapi = loadProfile("llmapi");
const dataEnvelope = loadProfile("data-envelope");
const KEY = GATEWAY_DEFAULTS.apiKeys[0]!;
const OTHER = GATEWAY_DEFAULTS.otherApiKey;
let mock: MockServer;
let gw: Gateway;
let wrapped: Gateway;
const dir = mkdtempSync(join(tmpdir(), "faultline-tasks-"));

beforeAll(async () => {
  mock = await startMock();
  const upstreams = ["alpha", "beta"].map((name) => ({ name, baseUrl: mock.providerUrl(name) }));
  gw = await startGateway({ profile: llmapi, upstreams, attemptTimeoutMs: 1_000, deadlineMs: 2_000 });
  wrapped = await startGateway({
    profile: dataEnvelope,
    upstreams,
    attemptTimeoutMs: 1_000,
    deadlineMs: 2_000,
  });
});
afterAll(async () => {
  await gw.close();
  await wrapped.close();
  await mock.close();
  rmSync(dir, { recursive: true, force: true });
});

async function plan(providers: Record<string, unknown[]>): Promise<{ id: string; marker: string }> {
  return new MockClient(mock.url).addPlan({ providers });
}

async function call(g: Gateway, method: string, path: string, o: { key?: string; body?: unknown } = {}) {
  const res = await fetch(`${g.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${o.key ?? KEY}`,
      ...(o.body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: o.body === undefined ? undefined : JSON.stringify(o.body),
    signal: AbortSignal.timeout(5_000),
  });
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers by path; a wrong shape fails the assertion
  return { status: res.status, body: JSON.parse(await res.text()) as any };
}

const submit = (g: Gateway, marker: string, key?: string, path = "/v1/images/tasks") =>
  call(g, "POST", path, { key, body: { model: "faultline-chat", prompt: `a lighthouse ${marker}` } });

async function until(g: Gateway, path: string, done: (body: Record<string, unknown>) => boolean) {
  for (let i = 0; i < 80; i++) {
    const r = await call(g, "GET", path);
    if (done(r.body)) return r;
    await new Promise((res) => setTimeout(res, 25));
  }
  throw new Error(`${path} never reached the expected state`);
}

const terminal = (b: Record<string, unknown>) =>
  ["succeeded", "failed", "canceled"].includes(String(b.status));

describe("task routes", () => {
  it("match the profile's paths, and name the allowed method when only the method is wrong", () => {
    const spec = llmapi.tasks!;
    expect(matchTaskRoute(spec, "POST", "/v1/images/tasks")).toEqual({ op: "submit", id: undefined });
    expect(matchTaskRoute(spec, "GET", "/v1/images/tasks/t_1")).toEqual({ op: "poll", id: "t_1" });
    expect(matchTaskRoute(spec, "POST", "/v1/images/tasks/t_1/cancel")).toEqual({ op: "cancel", id: "t_1" });
    expect(matchTaskRoute(spec, "DELETE", "/v1/images/tasks/t_1")).toEqual({ allow: ["GET"] });
    expect(matchTaskRoute(spec, "GET", "/v1/chat/completions")).toBeUndefined();
  });
});

describe("the reference gateway's async tasks (llmapi)", () => {
  it("accepts with 202 and a task id, runs the task through failover, and reports its result", async () => {
    const p = await plan({ alpha: ["server_error"], beta: [{ step: "ok", text: "a picture" }] });
    const s = await submit(gw, p.marker);
    expect(s.status).toBe(202);
    expect(s.body).toMatchObject({ status: "queued", model: "faultline-chat" });
    expect(s.body.task_id).toMatch(/^task_/);
    const done = await until(gw, `/v1/images/tasks/${s.body.task_id}`, terminal);
    expect(done.body).toMatchObject({ status: "succeeded", result: { text: "a picture", provider: "beta" } });
  });

  it("ends a task whose providers all fail as failed, with the exhaustion code", async () => {
    const p = await plan({ alpha: ["unavailable"], beta: ["bad_gateway"] });
    const s = await submit(gw, p.marker);
    const done = await until(gw, `/v1/images/tasks/${s.body.task_id}`, terminal);
    expect(done.body).toMatchObject({ status: "failed", failure: { code: "upstream_error" } });
  });

  it("cancels a running task, and then answers a second cancel 409 IMAGE_TASK_ALREADY_TERMINAL", async () => {
    const p = await plan({ alpha: [{ step: "ok", delayMs: 800 }], beta: ["ok"] });
    const s = await submit(gw, p.marker);
    await until(gw, `/v1/images/tasks/${s.body.task_id}`, (b) => b.status === "running");
    const c = await call(gw, "POST", `/v1/images/tasks/${s.body.task_id}/cancel`);
    expect([c.status, c.body.status]).toEqual([200, "canceled"]);
    const again = await call(gw, "POST", `/v1/images/tasks/${s.body.task_id}/cancel`);
    expect(again).toEqual({
      status: 409,
      body: { error: { type: "IMAGE_TASK_ALREADY_TERMINAL", message: expect.stringContaining("canceled") } },
    });
    expect((await call(gw, "GET", `/v1/images/tasks/${s.body.task_id}`)).body.status).toBe("canceled");
  });

  it("hides a task from other clients and unknown ids alike: 404 IMAGE_TASK_NOT_FOUND", async () => {
    const p = await plan({ alpha: ["ok"] });
    const s = await submit(gw, p.marker);
    const id = s.body.task_id;
    for (const r of [
      await call(gw, "GET", `/v1/images/tasks/${id}`, { key: OTHER }),
      await call(gw, "POST", `/v1/images/tasks/${id}/cancel`, { key: OTHER }),
      await call(gw, "GET", "/v1/images/tasks/task_nope"),
    ]) {
      expect([r.status, r.body.error.type]).toEqual([404, "IMAGE_TASK_NOT_FOUND"]);
    }
    expect((await until(gw, `/v1/images/tasks/${id}`, terminal)).body.status).toBe("succeeded");
  });

  it("rejects an empty prompt in the task envelope (LLMAPI docs, Errors)", async () => {
    const r = await call(gw, "POST", "/v1/images/tasks", { body: { prompt: " " } });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toBe("prompt must be a non-empty string");
  });
});

describe("the reference gateway's async tasks (data-envelope)", () => {
  it("wraps task answers in {success: true, data, error: null}", async () => {
    const p = await plan({ alpha: [{ step: "ok", text: "done" }] });
    const s = await submit(wrapped, p.marker, undefined, "/v1/generations");
    expect(s.status).toBe(202);
    expect(s.body).toMatchObject({ success: true, error: null, data: { status: "queued" } });
    const path = `/v1/generations/${s.body.data.task_id}`;
    const done = await until(wrapped, path, (b) => terminal((b as { data: Record<string, unknown> }).data));
    expect(done.body).toMatchObject({
      success: true,
      data: { status: "succeeded", result: { text: "done" } },
    });
    const c = await call(wrapped, "POST", `${path}/cancel`);
    expect([c.status, c.body.success, c.body.error.code]).toEqual([409, false, "CONFLICT"]);
  });
});

// Each defect fails `faultline run` by its check; the reference passes every task check.
describe.concurrent("task mutations are caught by their checks", () => {
  const run = (profile: string, defect: string[], report: string) =>
    runHarness({
      profile,
      defect,
      seed: 7,
      runs: 8,
      quiet: true,
      strict: true,
      report: join(dir, report),
      only: ["TASK-*"],
      // A task that never ends is polled until the deadline: keep that short here.
      deadlineMs: 1_000,
    });

  for (const profile of ["llmapi", "data-envelope"]) {
    it(`the reference gateway passes TASK-001..004 (${profile})`, async () => {
      const out = await run(profile, [], `reference-${profile}`);
      const tasks = out.result!.checks.filter((c) => c.id.startsWith("TASK-"));
      expect(tasks.map((c) => [c.id, c.outcome])).toEqual(
        ["TASK-001", "TASK-002", "TASK-003", "TASK-004"].map((id) => [id, "pass"]),
      );
      expect(out.exitCode, out.output).toBe(0);
    });
  }

  for (const m of MUTATIONS.filter((x) => x.family === "tasks")) {
    it(`${m.id} → ${m.expectedCheck} (${m.profile})`, async () => {
      const out = await run(m.profile!, [m.id], m.id);
      const failed = out.result!.checks.filter((c) => c.outcome === "fail").map((c) => c.id);
      expect(failed, `${m.summary}\n${out.output}`).toContain(m.expectedCheck);
      expect(out.exitCode).toBe(1);
    });
  }
});
