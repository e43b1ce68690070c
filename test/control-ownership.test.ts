// The control API as a shared service: a plan belongs to the client that registered it (its owner
// key, sent as x-faultline-owner or handed out at creation). Another client cannot read, delete or reset
// it; the control token holder can do anything.
import { spawn } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { type MockServer, type MockServerOptions, startMock } from "../mocks/server.ts";

const servers: MockServer[] = [];
async function mockWith(opts: MockServerOptions = {}): Promise<MockServer> {
  const m = await startMock(opts);
  servers.push(m);
  return m;
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const A = "client-a-owner-key-0001";
const B = "client-b-owner-key-0002";
const TOKEN = "shared-control-token-0123";

interface Caller {
  owner?: string;
  token?: string;
}

// biome-ignore lint/suspicious/noExplicitAny: control answers are read field by field
type Json = any;

async function call(m: MockServer, who: Caller, method: string, path: string, body?: unknown) {
  const res = await fetch(m.url + path, {
    method,
    headers: {
      "content-type": "application/json",
      ...(who.owner ? { "x-faultline-owner": who.owner } : {}),
      ...(who.token ? { authorization: `Bearer ${who.token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as Json };
}

const plan = { providers: { alpha: ["rate_limit"] } };

describe("without a control token", () => {
  it("lets only the owner read, delete and reset a plan registered under an owner key", async () => {
    const m = await mockWith();
    const a = await call(m, { owner: A }, "POST", "/_faultline/plans", plan);
    expect(a.status).toBe(201);
    expect(a.body.owner).toBe(A);
    const b = await call(m, { owner: B }, "POST", "/_faultline/plans", plan);

    for (const [method, path] of [
      ["GET", `/_faultline/plans/${a.body.id}`],
      ["GET", `/_faultline/plans/${a.body.id}/journal`],
      ["DELETE", `/_faultline/plans/${a.body.id}`],
      ["GET", `/_faultline/journal?plan=${a.body.id}`],
    ] as const) {
      const res = await call(m, { owner: B }, method, path);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.error.message).toMatch(/another client|control token/);
    }
    // B's reset takes B's plans only.
    expect((await call(m, { owner: B }, "POST", "/_faultline/reset")).body).toEqual({ ok: true, plans: 1 });
    expect((await call(m, { owner: A }, "GET", `/_faultline/plans/${a.body.id}`)).status).toBe(200);
    expect((await call(m, { owner: A }, "GET", `/_faultline/plans/${b.body.id}`)).status).toBe(404);
    expect((await call(m, { owner: A }, "DELETE", `/_faultline/plans/${a.body.id}`)).body).toEqual({
      deleted: a.body.id,
    });
  });

  it("hands a caller that names no owner a key of its own, and treats it as the admin of an unprotected mock", async () => {
    const m = await mockWith();
    const anon = await call(m, {}, "POST", "/_faultline/plans", plan);
    expect(anon.body.owner).toMatch(/^[0-9a-f]{32}$/);
    const a = await call(m, { owner: A }, "POST", "/_faultline/plans", plan);
    // The returned key works as an owner key …
    expect(
      (await call(m, { owner: anon.body.owner }, "GET", `/_faultline/plans/${anon.body.id}`)).status,
    ).toBe(200);
    expect((await call(m, { owner: anon.body.owner }, "GET", `/_faultline/plans/${a.body.id}`)).status).toBe(
      403,
    );
    // … and a call without one acts as before owners existed, as anyone can on a mock without a token.
    expect((await call(m, {}, "DELETE", `/_faultline/plans/${a.body.id}`)).status).toBe(200);
  });

  it("refuses an owner key that is too short or has odd characters, naming the header", async () => {
    const m = await mockWith();
    const res = await call(m, { owner: "short" }, "POST", "/_faultline/plans", plan);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("x-faultline-owner: expected 16 to 128");
  });
});

describe("with a control token", () => {
  it("refuses a caller with neither the token nor an owner key, as before", async () => {
    const m = await mockWith({ token: TOKEN });
    expect((await call(m, {}, "POST", "/_faultline/plans", plan)).status).toBe(401);
  });

  it("lets clients keep their own plans, and only the token holder touch everyone's", async () => {
    const m = await mockWith({ token: TOKEN });
    const a = await call(m, { owner: A }, "POST", "/_faultline/plans", plan);
    expect(a.status).toBe(201);
    const b = await call(m, { owner: B }, "POST", "/_faultline/plans", plan);
    expect((await call(m, { owner: B }, "DELETE", `/_faultline/plans/${a.body.id}`)).status).toBe(403);
    expect((await call(m, { owner: B }, "GET", "/_faultline/journal")).status).toBe(403);
    expect((await call(m, { owner: A }, "GET", `/_faultline/journal?plan=${a.body.id}`)).status).toBe(200);
    // Scenarios and secrets change every client's answers: the token holder's calls.
    expect((await call(m, { owner: A }, "DELETE", "/_faultline/scenario")).status).toBe(401);
    expect(
      (await call(m, { owner: A }, "POST", "/_faultline/secrets", { secrets: ["long-secret-1"] })).status,
    ).toBe(401);
    // A client's reset is its own; the token holder's is everyone's.
    expect((await call(m, { owner: A }, "POST", "/_faultline/reset")).body).toEqual({ ok: true, plans: 1 });
    expect((await call(m, { token: TOKEN }, "GET", `/_faultline/plans/${b.body.id}`)).status).toBe(200);
    expect(
      (await call(m, { token: TOKEN, owner: A }, "DELETE", `/_faultline/plans/${b.body.id}`)).status,
    ).toBe(200);
    await call(m, { owner: B }, "POST", "/_faultline/plans", plan);
    expect((await call(m, { token: TOKEN }, "POST", "/_faultline/reset")).body).toEqual({ ok: true });
    expect(m.engine.planCount).toBe(0);
  });
});

/** Runs the real CLI with a deadline of its own. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["bin/faultline.mjs", ...args], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe.concurrent("binding beyond loopback", () => {
  it("faultline gateway refuses without a key of the user's own", async () => {
    const args = ["gateway", "--profile", "lumenfall", "--upstreams", "http://127.0.0.1:9/alpha/v1"];
    for (const extra of [[], ["--api-key", "fl-test-key"]]) {
      const r = await cli([...args, ...extra, "--host", "0.0.0.0", "--port", "0"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("--host 0.0.0.0 binds beyond loopback; pass --api-key KEY");
    }
  });

  it("faultline mock lists the models each provider serves in its banner", async () => {
    const child = spawn(
      process.execPath,
      ["bin/faultline.mjs", "mock", "--port", "0", "--models", "fl-test-model"],
      {
        env: { PATH: process.env.PATH },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    try {
      await expect.poll(() => out, { timeout: 30_000, interval: 50 }).toMatch(/control\s+http/);
      expect(out).toMatch(
        /^alpha\s+openai\s+http:\/\/127\.0\.0\.1:\d+\/alpha\/v1\n\s+models: fl-test-model$/m,
      );
    } finally {
      // The mock closes its server on SIGTERM; the test waits for the process to be gone.
      const gone = new Promise((r) => child.once("close", r));
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      else child.emit("close");
      await gone;
    }
  });

  it("faultline mock names the flag or variable of a token too short to protect anything", async () => {
    const r = await cli(["mock", "--host", "0.0.0.0", "--port", "0"], { FAULTLINE_CONTROL_TOKEN: "abc" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("FAULTLINE_CONTROL_TOKEN: expected a token of at least 16 characters, saw 3");
  });
});
