// The mock's limits: hostile or careless input is refused with a status and a message naming the limit,
// before it is parsed or stored, and never silently cut. Small limits keep the tests fast; the
// defaults are the same code with bigger numbers.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MockEngine } from "../mocks/engine.ts";
import { DEFAULT_LIMITS, depthOver, LimitError } from "../mocks/limits.ts";
import { PlanError } from "../mocks/plan.ts";
import { loadScenarioFile, parseScenarioText, ScenarioError } from "../mocks/scenario-schema.ts";
import { type MockServer, startMock } from "../mocks/server.ts";
import { parseProviders } from "../scripts/cli/mock.ts";

const servers: MockServer[] = [];
async function mockWith(opts: Parameters<typeof startMock>[0] = {}): Promise<MockServer> {
  const m = await startMock(opts);
  servers.push(m);
  return m;
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

// biome-ignore lint/suspicious/noExplicitAny: answers are read field by field
type Json = any;

async function call(
  m: MockServer,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; body: Json }> {
  const res = await fetch(m.url + path, {
    method,
    headers: { "content-type": "application/json" },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const chatBody = (content: string) =>
  JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content }] });

/** Sends a body in chunks without a content-length, so only the bytes themselves show its size. */
function chunked(url: string, pieces: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      timeout: 10_000,
    });
    req.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    req.on("timeout", () => req.destroy(new Error("deadline")));
    req.on("error", reject);
    for (const p of pieces) req.write(p);
    req.end();
  });
}

describe("request bodies", () => {
  let m: MockServer;
  beforeAll(async () => {
    m = await mockWith({ limits: { maxRequestBytes: 4096, maxControlBodyBytes: 2048 } });
  });

  it("answers a provider body over maxRequestBytes with the dialect's 413 naming the limit, and journals it", async () => {
    const body = chatBody("x".repeat(5000));
    const res = await call(m, "POST", "/alpha/v1/chat/completions", body);
    expect(res.status).toBe(413);
    expect(res.body.error.type).toBe("invalid_request_error");
    expect(res.body.error.message).toContain(`request body of ${Buffer.byteLength(body)} bytes`);
    expect(res.body.error.message).toContain("4 KiB (maxRequestBytes)");
    const last = m.engine.journal.query({ provider: "alpha" }).at(-1)!;
    expect(last.step).toMatchObject({ step: "refused", reason: expect.stringContaining("maxRequestBytes") });
    expect(last.status).toBe(413);
    // Nothing of the body was kept, so nothing of it was cut and passed off as the whole.
    expect(last.body).toBe("");
  });

  it("answers in each dialect's own envelope: Anthropic's 413 request_too_large, Gemini's 400 INVALID_ARGUMENT", async () => {
    const d = await mockWith({
      limits: { maxRequestBytes: 4096 },
      providers: [
        { name: "claude", dialect: "anthropic", models: ["*"] },
        { name: "gem", dialect: "gemini", models: ["*"] },
      ],
    });
    const big = "x".repeat(5000);
    const anthropic = await call(
      d,
      "POST",
      "/claude/v1/messages",
      JSON.stringify({ model: "m", max_tokens: 5, messages: [{ role: "user", content: big }] }),
    );
    expect(anthropic.status).toBe(413);
    expect(anthropic.body).toMatchObject({ type: "error", error: { type: "request_too_large" } });
    expect(anthropic.body.error.message).toContain("4 KiB (maxRequestBytes)");
    // Google answers an oversized payload with a 400, not a 413 (mocks/dialects/gemini.ts).
    const gemini = await call(
      d,
      "POST",
      "/gem/v1beta/models/gemini-2.5-flash:generateContent",
      JSON.stringify({ contents: [{ role: "user", parts: [{ text: big }] }] }),
    );
    expect(gemini.status).toBe(400);
    expect(gemini.body).toMatchObject({ error: { code: 400, status: "INVALID_ARGUMENT" } });
    expect(gemini.body.error.message).toContain("4 KiB (maxRequestBytes)");
  });

  it("accepts a body at the limit exactly", async () => {
    const pad = 4096 - Buffer.byteLength(chatBody(""));
    expect((await call(m, "POST", "/alpha/v1/chat/completions", chatBody("y".repeat(pad)))).status).toBe(200);
  });

  it("refuses a chunked body once its bytes pass the limit, and the connection still answers", async () => {
    const res = await chunked(`${m.url}/alpha/v1/chat/completions`, ["[", "1,".repeat(3000), "1]"]);
    expect(res.status).toBe(413);
    expect(res.body).toContain("maxRequestBytes");
  });

  it("refuses a control body over maxControlBodyBytes with 413 naming it", async () => {
    const steps = Array.from({ length: 600 }, () => "ok");
    const res = await call(m, "POST", "/_faultline/plans", JSON.stringify({ providers: { alpha: steps } }));
    expect(res.status).toBe(413);
    expect(res.body.error.message).toContain("(maxControlBodyBytes)");
  });
});

describe("plans", () => {
  it("refuses JSON nested 10,000 deep with 400 naming maxJsonDepth, not a 500", async () => {
    const m = await mockWith();
    const deep = `${"[".repeat(10_000)}${"]".repeat(10_000)}`;
    for (const body of [
      `{"providers":{"alpha":${deep}}}`,
      `{"providers":{"alpha":["ok"]},"label":${deep}}`,
    ]) {
      const res = await call(m, "POST", "/_faultline/plans", body);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain("deeper than 64 levels");
      expect(res.body.error.message).toContain("maxJsonDepth");
    }
    expect((await call(m, "GET", "/_faultline/health")).status).toBe(200);
  });

  it("refuses a plan over maxPlanSteps with 413, counted before any step is validated", async () => {
    const m = await mockWith();
    const steps = Array.from({ length: DEFAULT_LIMITS.maxPlanSteps + 1 }, () => "no_such_step");
    const res = await call(m, "POST", "/_faultline/plans", JSON.stringify({ providers: { alpha: steps } }));
    expect(res.status).toBe(413);
    expect(res.body.error.message).toBe(
      `plan.providers: ${DEFAULT_LIMITS.maxPlanSteps + 1} steps over all providers; the limit is ${DEFAULT_LIMITS.maxPlanSteps} (maxPlanSteps)`,
    );
  });

  it("refuses a plan past maxPlans with 413 instead of silently evicting another client's plan", async () => {
    const m = await mockWith({ limits: { maxPlans: 2 } });
    const plan = JSON.stringify({ providers: { alpha: ["ok"] } });
    const first = await call(m, "POST", "/_faultline/plans", plan);
    expect((await call(m, "POST", "/_faultline/plans", plan)).status).toBe(201);
    const third = await call(m, "POST", "/_faultline/plans", plan);
    expect(third.status).toBe(413);
    expect(third.body.error.message).toContain("(maxPlans)");
    expect((await call(m, "GET", `/_faultline/plans/${first.body.id}`)).status).toBe(200);
    await call(m, "DELETE", `/_faultline/plans/${first.body.id}`);
    expect((await call(m, "POST", "/_faultline/plans", plan)).status).toBe(201);
  });

  it("refuses a plan that would take the plans held past maxPlanBytes", async () => {
    const m = await mockWith({ limits: { maxPlanBytes: 300 } });
    const plan = (text: string) => JSON.stringify({ providers: { alpha: [{ step: "ok", text }] } });
    expect((await call(m, "POST", "/_faultline/plans", plan("a".repeat(100)))).status).toBe(201);
    const res = await call(m, "POST", "/_faultline/plans", plan("b".repeat(200)));
    expect(res.status).toBe(413);
    expect(res.body.error.message).toContain("(maxPlanBytes)");
    // Weighed in bytes, as the limit says: 100 three-byte characters are 300 bytes, not 100.
    const wide = await mockWith({ limits: { maxPlanBytes: 300 } });
    const euro = await call(wide, "POST", "/_faultline/plans", plan("€".repeat(100)));
    expect(euro.status).toBe(413);
    expect(euro.body.error.message).toMatch(/would weigh 3\d\d bytes/);
  });
});

describe("the plan schema refuses what it used to drop or ignore", () => {
  const refused = (raw: unknown): string => {
    try {
      new MockEngine().addPlan(raw);
    } catch (e) {
      expect(e).toBeInstanceOf(PlanError);
      return (e as Error).message;
    }
    throw new Error(`accepted: ${JSON.stringify(raw)}`);
  };

  it.each(["__proto__", "constructor", "prototype"])("refuses providers.%s", (name) => {
    // JSON.parse makes "__proto__" an own key, as a client's body would.
    const raw = JSON.parse(`{"providers":{"${name}":["reset"]}}`);
    expect(refused(raw)).toBe(
      `plan.providers["${name}"]: not a provider name; expected one of alpha, beta, gamma`,
    );
  });

  it.each([
    [{ providers: {}, colour: "red" }, 'plan: unknown key "colour"; expected providers, seed, label'],
    [JSON.parse('{"providers":{},"__proto__":{"x":1}}'), 'plan: unknown key "__proto__"'],
    [
      { providers: { alpha: { policy: "probabilistic", mix: [{ p: 1, step: "ok" }], weights: [1] } } },
      'plan.providers.alpha: unknown key "weights"; expected policy, mix',
    ],
    [
      { providers: { alpha: { policy: "probabilistic", mix: [{ p: 1, step: "ok", weight: 2 }] } } },
      'plan.providers.alpha.mix[0]: unknown key "weight"; expected p, step',
    ],
    [
      { providers: { alpha: { policy: "roundrobin" } } },
      'plan.providers.alpha.policy: expected "probabilistic", saw "roundrobin"',
    ],
  ])("refuses %j", (raw, message) => {
    expect(refused(raw)).toContain(message);
  });

  it.each([100, 103, 199])(
    "refuses status %i for the status step: a 1xx would leave the request hanging",
    (status) => {
      expect(refused({ providers: { alpha: [{ step: "status", status }] } })).toBe(
        `plan.providers.alpha[0].status: expected a final status from 200 to 599 (1xx statuses are interim) (step "status")`,
      );
    },
  );

  it("keeps the plans that are fine", () => {
    const engine = new MockEngine();
    expect(engine.addPlan({ providers: { alpha: [{ step: "status", status: 200 }] } }).id).toMatch(/^p/);
  });

  it("refuses reserved provider names where providers are configured", () => {
    expect(
      () => new MockEngine({ providers: [{ name: "constructor", dialect: "openai", models: [] }] }),
    ).toThrow(/reserved/);
    expect(() => parseProviders("alpha,prototype")).toThrow('--providers[1]: "prototype" is a reserved word');
  });
});

describe("scenarios", () => {
  const dir = mkdtempSync(join(tmpdir(), "faultline-limits-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const phase = (i: number) => `  - name: p${i}\n    durationMs: 1000\n    providers:\n      "*": ok\n`;
  const big = `name: big\ndescription: big\nphases:\n${Array.from({ length: 3000 }, (_, i) => phase(i)).join("")}`;

  it("refuses a scenario over maxScenarioBytes with 413 before parsing it, and health answers meanwhile", async () => {
    const m = await mockWith();
    // 9.6 MB blocked the event loop for 13.8 s when it was parsed first; now it is not read past the limit.
    const huge = `${big}${"#".repeat(9_600_000)}\n`;
    const [put, health] = await Promise.all([
      call(m, "PUT", "/_faultline/scenario", huge),
      call(m, "GET", "/_faultline/health"),
    ]);
    expect(health.status).toBe(200);
    expect(put.status).toBe(413);
    expect(put.body.error.message).toContain("64 KiB (maxScenarioBytes)");
  });

  it("refuses one just past the limit in the parser too, and a file before reading it", () => {
    expect(big.length).toBeGreaterThan(DEFAULT_LIMITS.maxScenarioBytes);
    expect(() => parseScenarioText(big)).toThrow(/limit is 64 KiB \(maxScenarioBytes\)/);
    const file = join(dir, "big.yaml");
    writeFileSync(file, big);
    expect(() => loadScenarioFile(file)).toThrow(ScenarioError);
    expect(() => loadScenarioFile(file)).toThrow(/maxScenarioBytes/);
  });

  it("refuses deep nesting (400), reserved provider keys, and phases with too many steps (413)", async () => {
    const m = await mockWith();
    const deep = `{"name":"x","description":"x","phases":${"[".repeat(5000)}${"]".repeat(5000)}}`;
    const res = await call(m, "PUT", "/_faultline/scenario", deep);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("maxJsonDepth");
    // YAML nests by indentation and dashes too: 10,000 nested sequences once killed the mock's process
    // (the yaml parser's recursion overflowed the stack inside V8's regexp compiler, a fatal error).
    for (const yaml of [
      `name: x\ndescription: x\nphases:\n${"- ".repeat(10_000)}x\n`,
      `name: x\nphases:\n${Array.from({ length: 300 }, (_, i) => `${" ".repeat(i + 1)}a:`).join("\n")} 1\n`,
      `{"name": "x", "oops": it's, "phases": ${"[".repeat(10_000)}${"]".repeat(10_000)}}`,
    ]) {
      const blocks = await call(m, "PUT", "/_faultline/scenario", yaml);
      expect(blocks.status).toBe(400);
      expect(blocks.body.error.message).toContain("nested deeper than 64 levels");
      expect(blocks.body.error.message).toContain("(limit maxJsonDepth)");
      expect((await call(m, "GET", "/_faultline/health")).status).toBe(200);
    }
    const steps = Array.from({ length: 1001 }, () => "ok");
    const many = JSON.stringify({
      name: "x",
      description: "x",
      phases: [{ name: "a", durationMs: 10, providers: { alpha: steps } }],
    });
    const tooMany = await call(m, "PUT", "/_faultline/scenario", many);
    expect(tooMany.status).toBe(413);
    expect(tooMany.body.error.message).toContain("(maxPlanSteps)");
    const proto =
      '{"name":"x","description":"x","phases":[{"name":"a","durationMs":10,"providers":{"__proto__":"reset"}}]}';
    const refused = await call(m, "PUT", "/_faultline/scenario", proto);
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain(
      "scenario.phases[0].providers.__proto__: not a provider name",
    );
  });
});

describe("depthOver", () => {
  it("counts brackets outside strings only, and stops at the limit", () => {
    expect(depthOver('{"a":[[1]]}', 3)).toBe(false);
    expect(depthOver('{"a":[[[1]]]}', 3)).toBe(true);
    expect(depthOver(`{"a":"${"[".repeat(100)}\\"["}`, 3)).toBe(false);
    expect(depthOver(`'${"{".repeat(100)}'`, 3)).toBe(false);
  });

  it("is what LimitError reports as a 400", () => {
    expect(new LimitError(400, "maxJsonDepth", "x").status).toBe(400);
  });
});
