import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadProfile } from "../core/profile/load.ts";
import { parseIdempotencyKey } from "../gateway/idempotency.ts";
import { GATEWAY_DEFAULTS, type Gateway, MUTATIONS, startGateway } from "../gateway/index.ts";
import { TtlStore } from "../gateway/ttl-store.ts";
import { type MockServer, startMock } from "../mocks/server.ts";
import { runHarness } from "../scripts/cli/run.ts";
import { MockClient } from "../suites/harness/mock-client.ts";

// Idempotent replay in the reference gateway (data-envelope declares it), probed directly, then each
// idempotency mutation caught by `faultline run` with the check that names it.
const profile = loadProfile("data-envelope");
const KEY = GATEWAY_DEFAULTS.apiKeys[0]!;
let mock: MockServer;
let gw: Gateway;
const dir = mkdtempSync(join(tmpdir(), "faultline-idem-"));

beforeAll(async () => {
  mock = await startMock();
  gw = await startGateway({
    profile,
    upstreams: ["alpha", "beta"].map((name) => ({ name, baseUrl: mock.providerUrl(name) })),
    attemptTimeoutMs: 1_000,
    deadlineMs: 2_000,
  });
});
afterAll(async () => {
  await gw.close();
  await mock.close();
  rmSync(dir, { recursive: true, force: true });
});

async function plan(providers: Record<string, unknown[]>): Promise<{ id: string; marker: string }> {
  return new MockClient(mock.url).addPlan({ providers });
}

async function attempts(planId: string): Promise<number> {
  const res = await fetch(`${mock.url}/_faultline/plans/${planId}/journal`, {
    signal: AbortSignal.timeout(2_000),
  });
  return ((await res.json()) as { entries: unknown[] }).entries.length;
}

async function chat(o: { marker: string; key?: string; idem?: string; text?: string }) {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    authorization: `Bearer ${o.key ?? KEY}`,
  };
  if (o.idem !== undefined) headers["idempotency-key"] = o.idem;
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      model: "faultline-chat",
      messages: [{ role: "user", content: `${o.text ?? "hello"} ${o.marker}` }],
    }),
    signal: AbortSignal.timeout(5_000),
  });
  const text = await res.text();
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers by path; a wrong shape fails the assertion
  return { status: res.status, headers: res.headers, text, body: JSON.parse(text) as any };
}

const answers = {
  alpha: [
    { step: "ok", text: "first" },
    { step: "ok", text: "second" },
  ],
  beta: ["ok"],
};
let n = 0;
const freshKey = () => `k-${process.pid}-${Date.now()}-${n++}`;

describe("Idempotency-Key parsing", () => {
  it("reads the IETF sf-string and Stripe's bare token as the same key", () => {
    expect(parseIdempotencyKey('"8e03978e-40d5"')).toEqual({ ok: true, key: "8e03978e-40d5" });
    expect(parseIdempotencyKey("8e03978e-40d5")).toEqual({ ok: true, key: "8e03978e-40d5" });
    expect(parseIdempotencyKey('"a\\"b\\\\c"')).toEqual({ ok: true, key: 'a"b\\c' });
  });
  it("rejects what is neither", () => {
    for (const bad of ['"open', '"a\\x"', '"a" b', "", "two words", '""']) {
      expect(parseIdempotencyKey(bad).ok, bad).toBe(false);
    }
  });
  it("keeps the quotes under the idem_quoted_differs defect", () => {
    expect(parseIdempotencyKey('"abc"', true)).toEqual({ ok: true, key: '"abc"' });
  });
});

describe("TtlStore", () => {
  it("drops the oldest entry when full and expired entries after their time", () => {
    let now = 0;
    const dropped: string[] = [];
    const s = new TtlStore<string>(
      2,
      100,
      (v) => dropped.push(v),
      () => now,
    );
    s.set("a", "A");
    s.set("b", "B");
    s.set("c", "C");
    expect([s.get("a"), s.get("b"), s.get("c")]).toEqual([undefined, "B", "C"]);
    now = 150;
    expect(s.get("b")).toBeUndefined();
    expect(dropped).toEqual(["A", "B"]);
  });
});

describe("the reference gateway's idempotent replay", () => {
  it("replays a completed request's status and body without asking a provider again", async () => {
    const p = await plan(answers);
    const key = freshKey();
    const a = await chat({ marker: p.marker, idem: key });
    const b = await chat({ marker: p.marker, idem: key });
    expect(a.status).toBe(200);
    expect(a.body.choices[0].message.content).toBe("first");
    expect([b.status, b.text]).toEqual([a.status, a.text]);
    expect(b.headers.get("idempotent-replayed")).toBe("true");
    expect(await attempts(p.id)).toBe(1);
  });

  it("runs requests without a key every time", async () => {
    const p = await plan(answers);
    await chat({ marker: p.marker });
    const b = await chat({ marker: p.marker });
    expect(b.body.choices[0].message.content).toBe("second");
    expect(await attempts(p.id)).toBe(2);
  });

  it("rejects the same key with another payload with the mismatch status", async () => {
    const p = await plan(answers);
    const key = freshKey();
    await chat({ marker: p.marker, idem: key });
    const b = await chat({ marker: p.marker, idem: key, text: "something else" });
    expect([b.status, b.body.error.code, b.body.success]).toEqual([400, "invalid_request", false]);
    expect(await attempts(p.id)).toBe(1);
  });

  it("refuses a duplicate in flight with 409, and runs the first once", async () => {
    const p = await plan({ alpha: [{ step: "ok", delayMs: 300, text: "held" }], beta: ["ok"] });
    const key = freshKey();
    const first = chat({ marker: p.marker, idem: key });
    await new Promise((r) => setTimeout(r, 60));
    const dup = await chat({ marker: p.marker, idem: key });
    expect([dup.status, dup.body.error.code]).toEqual([409, "CONFLICT"]);
    expect((await first).body.choices[0].message.content).toBe("held");
    expect(await attempts(p.id)).toBe(1);
  });

  it("scopes keys to the client: another key runs its own request", async () => {
    const p = await plan(answers);
    const key = freshKey();
    const a = await chat({ marker: p.marker, idem: key });
    const b = await chat({ marker: p.marker, idem: key, key: GATEWAY_DEFAULTS.otherApiKey });
    expect(a.body.choices[0].message.content).toBe("first");
    expect(b.body.choices[0].message.content).toBe("second");
    expect(await attempts(p.id)).toBe(2);
  });

  it("treats the quoted and bare forms as one key", async () => {
    const p = await plan(answers);
    const key = freshKey();
    const a = await chat({ marker: p.marker, idem: `"${key}"` });
    const b = await chat({ marker: p.marker, idem: key });
    expect(b.text).toBe(a.text);
    expect(await attempts(p.id)).toBe(1);
  });

  it("does not store a failure that did nothing: a retry after a 5xx runs again", async () => {
    const p = await plan({ alpha: ["server_error", "ok"], beta: ["server_error", "ok"] });
    const key = freshKey();
    const a = await chat({ marker: p.marker, idem: key });
    const b = await chat({ marker: p.marker, idem: key });
    expect([a.status, b.status]).toEqual([500, 200]);
    expect(await attempts(p.id)).toBe(3);
  });

  it("answers a malformed key 400 in the profile's envelope", async () => {
    const p = await plan(answers);
    const a = await chat({ marker: p.marker, idem: '"unterminated' });
    expect([a.status, a.body.error.code]).toEqual([400, "invalid_request"]);
    expect(await attempts(p.id)).toBe(0);
  });
});

// Each defect fails `faultline run` by its check; the reference passes every idempotency check.
describe.concurrent("idempotency mutations are caught by their checks", () => {
  const run = (defect: string[], report: string) =>
    runHarness({
      profile: "data-envelope",
      defect,
      seed: 7,
      runs: 8,
      quiet: true,
      strict: true,
      report: join(dir, report),
      only: ["IDEM-*"],
    });

  it("the reference gateway passes IDEM-001..006", async () => {
    const out = await run([], "reference");
    const idem = out.result!.checks.filter((c) => c.id.startsWith("IDEM-"));
    expect(idem.map((c) => [c.id, c.outcome])).toEqual(
      ["IDEM-001", "IDEM-002", "IDEM-003", "IDEM-004", "IDEM-005", "IDEM-006"].map((id) => [id, "pass"]),
    );
    expect(out.exitCode, out.output).toBe(0);
  });

  for (const m of MUTATIONS.filter((x) => x.family === "idempotency")) {
    it(`${m.id} → ${m.expectedCheck}`, async () => {
      expect(m.profile).toBe("data-envelope");
      const out = await run([m.id], m.id);
      const failed = out.result!.checks.filter((c) => c.outcome === "fail").map((c) => c.id);
      expect(failed, `${m.summary}\n${out.output}`).toContain(m.expectedCheck);
      expect(out.exitCode).toBe(1);
    });
  }
});
