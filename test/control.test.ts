import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTROL_ROUTES } from "../mocks/control.ts";
import { type MockServer, type MockServerOptions, startMock } from "../mocks/server.ts";
import { stepIds } from "../mocks/steps.ts";

interface Answer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: control answers are read field by field in assertions
  body: any;
}

const servers: MockServer[] = [];
async function mockWith(opts: MockServerOptions = {}): Promise<MockServer> {
  const m = await startMock(opts);
  servers.push(m);
  return m;
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function call(
  m: MockServer,
  method: string,
  path: string,
  init: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const res = await fetch(m.url + path, {
    method,
    headers: { "content-type": "application/json", ...init.headers },
    body:
      init.body === undefined
        ? undefined
        : typeof init.body === "string"
          ? init.body
          : JSON.stringify(init.body),
    signal: AbortSignal.timeout(5_000),
  });
  const text = await res.text();
  const isJson = res.headers.get("content-type")?.startsWith("application/json");
  return { status: res.status, headers: res.headers, body: text && isJson ? JSON.parse(text) : text };
}

async function chat(m: MockServer, provider: string, marker = "", headers: Record<string, string> = {}) {
  const res = await fetch(`${m.url}/${provider}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: `hello ${marker}` }] }),
    signal: AbortSignal.timeout(5_000),
  });
  await res.arrayBuffer();
  return res.status;
}

const tick = () => new Promise((r) => setTimeout(r, 15));

describe("plans", () => {
  let m: MockServer;
  beforeAll(async () => {
    m = await mockWith();
  });

  it("creates a plan and answers its marker and seed", async () => {
    const created = await call(m, "POST", "/_faultline/plans", {
      body: { providers: { alpha: ["rate_limit", "ok"] }, seed: 7, label: "two attempts" },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      marker: `faultline:${created.body.id}`,
      seed: 7,
      owner: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect(await chat(m, "alpha", created.body.marker)).toBe(429);
    expect(await chat(m, "alpha", created.body.marker)).toBe(200);
    const stored = await call(m, "GET", `/_faultline/plans/${created.body.id}`);
    expect(stored.body).toMatchObject({ id: created.body.id, label: "two attempts" });
  });

  it.each([
    [
      { providers: { zeta: ["ok"] } },
      "plan.providers.zeta: unknown provider; expected one of alpha, beta, gamma",
    ],
    [{ providers: { alpha: ["ok", "explode"] } }, 'plan.providers.alpha[1]: unknown step "explode"'],
    [
      { providers: { alpha: [{ step: "rate_limit", retryAfterS: -1 }] } },
      "plan.providers.alpha[0].retryAfterS",
    ],
    [{ providers: { alpha: [] } }, "plan.providers.alpha: expected at least one step"],
    [
      { providers: { alpha: { policy: "probabilistic", mix: [{ p: 0.5, step: "ok" }] } } },
      "plan.providers.alpha.mix",
    ],
    [{}, "plan.providers"],
    ["{not json", "request body is not JSON"],
  ])("rejects %j with 400 naming the field", async (body, field) => {
    const res = await call(m, "POST", "/_faultline/plans", { body });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body)).toEqual(["error"]);
    expect(res.body.error.message).toContain(field);
  });

  it("deletes a plan: gone from GET, its journal forgotten, its marker no longer applies", async () => {
    const { body: plan } = await call(m, "POST", "/_faultline/plans", {
      body: { providers: { beta: ["server_error"] } },
    });
    expect(await chat(m, "beta", plan.marker)).toBe(500);
    expect((await call(m, "DELETE", `/_faultline/plans/${plan.id}`)).body).toEqual({ deleted: plan.id });
    expect((await call(m, "GET", `/_faultline/plans/${plan.id}`)).status).toBe(404);
    expect((await call(m, "DELETE", `/_faultline/plans/${plan.id}`)).body.error.message).toContain(plan.id);
    expect((await call(m, "GET", `/_faultline/journal?plan=${plan.id}`)).body.entries).toEqual([]);
    expect(await chat(m, "beta", plan.marker)).toBe(200);
  });

  it("answers 405 with Allow for a known path and another method, 404 for an unknown path", async () => {
    const res = await call(m, "PUT", "/_faultline/plans");
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    expect((await call(m, "GET", "/_faultline/nothing")).status).toBe(404);
  });
});

describe("journal queries", () => {
  let m: MockServer;
  beforeAll(async () => {
    m = await mockWith();
  });

  it("filters by provider, plan and time window, oldest first", async () => {
    const { body: plan } = await call(m, "POST", "/_faultline/plans", {
      body: { providers: { alpha: ["ok"] } },
    });
    await chat(m, "alpha", plan.marker);
    await chat(m, "beta", plan.marker);
    await tick();
    const middle = Date.now();
    await tick();
    await chat(m, "alpha");
    await chat(m, "gamma", plan.marker);
    const q = async (query: string) => (await call(m, "GET", `/_faultline/journal?${query}`)).body.entries;

    expect((await q("provider=beta")).map((e: { provider: string }) => e.provider)).toEqual(["beta"]);
    const byPlan = await q(`plan=${plan.id}`);
    expect(byPlan.map((e: { provider: string }) => e.provider)).toEqual(["alpha", "beta", "gamma"]);
    expect((await q(`plan=${plan.id}&provider=alpha`)).length).toBe(1);
    expect((await q(`since=${middle}`)).map((e: { provider: string }) => e.provider)).toEqual([
      "alpha",
      "gamma",
    ]);
    expect((await q(`until=${middle}`)).map((e: { provider: string }) => e.provider)).toEqual([
      "alpha",
      "beta",
    ]);
    const iso = new Date(middle).toISOString();
    expect((await q(`since=${encodeURIComponent(iso)}&provider=gamma`)).length).toBe(1);
    const seqs = (await q("")).map((e: { seq: number }) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it.each([
    ["since=yesterday", 'journal query "since"'],
    ["until=1&since=2", 'journal query "until"'],
    ["provider=zeta", 'journal query "provider": unknown provider "zeta"'],
    ["plans=x", 'journal query "plans": unknown parameter; expected one of provider, plan, since, until'],
  ])("rejects ?%s with 400 naming the parameter", async (query, message) => {
    const res = await call(m, "GET", `/_faultline/journal?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(message);
  });

  it("shows secrets only as fingerprints", async () => {
    const secrets = { authorization: "Bearer sk-live-abcdef123456", "x-api-key": "sk-ant-secret-987654" };
    const { body: plan } = await call(m, "POST", "/_faultline/plans", {
      body: { providers: { alpha: ["ok"] } },
    });
    await chat(m, "alpha", plan.marker, secrets);
    const raw = await (
      await fetch(`${m.url}/_faultline/plans/${plan.id}/journal`, { signal: AbortSignal.timeout(5_000) })
    ).text();
    expect(raw).not.toContain("sk-live-abcdef123456");
    expect(raw).not.toContain("sk-ant-secret-987654");
    const [entry] = JSON.parse(raw).entries;
    expect(entry.headers.authorization).toMatch(/^Bearer \[redacted sha256:[0-9a-f]{8}\]$/);
    expect(entry.headers["x-api-key"]).toMatch(/^\[redacted sha256:[0-9a-f]{8}\]$/);
  });
});

describe("a refused model", () => {
  it("is journaled with the model asked for and the models served; health lists them too", async () => {
    const m = await mockWith({ providers: [{ name: "alpha", dialect: "openai", models: ["gpt-4o-mini"] }] });
    const res = await fetch(`${m.url}/alpha/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "fl-test-model", messages: [{ role: "user", content: "hi" }] }),
      signal: AbortSignal.timeout(5_000),
    });
    expect(res.status).toBe(404);
    // The client sees the provider's own message …
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      "The model `fl-test-model` does not exist or you do not have access to it.",
    );
    // … and the journal says why, and what would fix it.
    const [entry] = (await call(m, "GET", "/_faultline/journal")).body.entries;
    expect(entry.step).toEqual({
      step: "refused",
      reason:
        'model "fl-test-model" is not one alpha serves (gpt-4o-mini); start the mock with --models fl-test-model (or * for any model)',
      model: "fl-test-model",
      served: ["gpt-4o-mini"],
    });
    expect((await call(m, "GET", "/_faultline/health")).body.models).toEqual({ alpha: ["gpt-4o-mini"] });
  });
});

describe("journal caps", () => {
  it("keeps a plan's first entries up to its cap and the newest overall, and counts what it dropped", async () => {
    const m = await mockWith({ journal: { maxEntries: 5, maxPerPlan: 2 } });
    const { body: plan } = await call(m, "POST", "/_faultline/plans", {
      body: { providers: { alpha: ["ok"] } },
    });
    for (let i = 0; i < 4; i++) await chat(m, "alpha", plan.marker);
    const planPage = (await call(m, "GET", `/_faultline/plans/${plan.id}/journal`)).body;
    expect(planPage.entries.map((e: { attempt: number }) => e.attempt)).toEqual([1, 2]);
    expect(planPage.dropped).toBe(2);
    expect((await call(m, "GET", "/_faultline/health")).body).toMatchObject({ journal: 2, dropped: 2 });

    for (let i = 0; i < 4; i++) await chat(m, "beta");
    // 2 plan entries + 4 unplanned = 6 > 5: the oldest (the plan's first attempt) goes.
    const all = (await call(m, "GET", `/_faultline/journal?plan=${plan.id}`)).body;
    expect(all.entries.map((e: { attempt: number }) => e.attempt)).toEqual([2]);
    expect(all).toMatchObject({ dropped: 3, planDropped: 3 });
    expect((await call(m, "GET", "/_faultline/health")).body).toMatchObject({ journal: 5, dropped: 3 });
  });

  it("reset forgets plans, entries and dropped counts", async () => {
    const m = await mockWith({ journal: { maxEntries: 2, maxPerPlan: 2 } });
    const { body: plan } = await call(m, "POST", "/_faultline/plans", {
      body: { providers: { alpha: ["ok"] } },
    });
    for (let i = 0; i < 3; i++) await chat(m, "alpha");
    expect((await call(m, "POST", "/_faultline/reset")).body).toEqual({ ok: true });
    expect((await call(m, "GET", "/_faultline/health")).body).toMatchObject({ journal: 0, dropped: 0 });
    expect((await call(m, "GET", `/_faultline/plans/${plan.id}`)).status).toBe(404);
  });
});

describe("control token", () => {
  it("asks for the bearer token everywhere but health and openapi.json", async () => {
    const m = await mockWith({ token: "t" });
    const denied = await call(m, "POST", "/_faultline/plans", { body: { providers: { alpha: ["ok"] } } });
    expect(denied.status).toBe(401);
    expect(denied.body.error.message).toContain("Bearer");
    expect(
      (await call(m, "GET", "/_faultline/journal", { headers: { authorization: "Bearer nope" } })).status,
    ).toBe(401);
    expect(
      (await call(m, "GET", "/_faultline/journal", { headers: { authorization: "Bearer t" } })).status,
    ).toBe(200);
    expect((await call(m, "GET", "/_faultline/health")).status).toBe(200);
    const doc = await call(m, "GET", "/_faultline/openapi.json");
    expect(doc.body.security).toEqual([{ bearerAuth: [] }]);
    // Provider routes are the upstream, not the control API: no token there.
    expect(await chat(m, "alpha")).toBe(200);
  });
});

describe("OpenAPI document", () => {
  let m: MockServer;
  // biome-ignore lint/suspicious/noExplicitAny: a JSON document read field by field
  let doc: any;
  beforeAll(async () => {
    m = await mockWith();
    doc = (await call(m, "GET", "/_faultline/openapi.json")).body;
  });

  it("is OpenAPI 3.1 with Plan, Step, JournalEntry and the one error shape", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(["Plan", "PlanInput", "Step", "JournalEntry", "Error"]),
    );
    expect(doc.components.schemas.Error.properties.error.required).toEqual(["message"]);
    const titles = doc.components.schemas.Step.oneOf.slice(1).map((s: { title: string }) => s.title);
    expect(titles).toEqual(stepIds());
    expect(doc.components.schemas.PlanInput.properties.providers.propertyNames.enum).toEqual([
      "alpha",
      "beta",
      "gamma",
    ]);
  });

  const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"];
  const answered = (res: Answer) =>
    !(res.status === 405 || (res.status === 404 && /no control route/.test(res.body?.error?.message ?? "")));

  it("documents every route the server answers, and the server answers every documented route", async () => {
    const { body: plan } = await call(m, "POST", "/_faultline/plans", {
      body: { providers: { alpha: ["ok"] } },
    });
    const documented = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths as Record<string, object>)) {
      for (const method of Object.keys(ops))
        if (method !== "parameters") documented.add(`${method.toUpperCase()} ${path}`);
    }
    const candidates = new Set([
      ...Object.keys(doc.paths),
      ...CONTROL_ROUTES.map((r) => r.path),
      "/_faultline/plans/{id}/steps",
      "/_faultline/journal/{id}",
      "/_faultline/scenarios",
      "/_faultline/stats",
    ]);
    for (const path of candidates) {
      for (const method of METHODS) {
        // DELETE last would remove the plan the other calls use; give it its own.
        const id =
          method === "DELETE"
            ? (await call(m, "POST", "/_faultline/plans", { body: { providers: {} } })).body.id
            : plan.id;
        const body = method === "GET" ? undefined : path.endsWith("/plans") ? { providers: {} } : "{}";
        const res = await call(m, method, path.replace("{id}", id), { body });
        const key = `${method} ${path}`;
        expect(
          answered(res),
          `${key} answered ${res.status} but is ${documented.has(key) ? "" : "not "}documented`,
        ).toBe(documented.has(key));
      }
    }
  });
});

describe("docs/mock.md", () => {
  const doc = readFileSync(new URL("../docs/mock.md", import.meta.url), "utf8");

  it("names every registered step and every control route", () => {
    for (const id of stepIds()) expect(doc, `step ${id}`).toContain(`\`${id}\``);
    for (const r of CONTROL_ROUTES) {
      const route = `${r.method} ${r.path.replace("/_faultline/", "")}`;
      expect(doc, route).toContain(`\`${route}\``);
    }
  });
});
