import { readdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadProfile } from "../core/profile/load.ts";
import { CORE_MUTATIONS, GATEWAY_DEFAULTS, type Gateway, MUTANTS, startGateway } from "../gateway/index.ts";
import { defineMutant } from "../gateway/mutants/index.ts";
import { REFERENCE_POLICY } from "../gateway/policy.ts";
import { type MockServer, startMock } from "../mocks/server.ts";
import { probeGateway } from "../suites/harness/liveness.ts";
import { MockClient } from "../suites/harness/mock-client.ts";

// Each one-defect gateway changes exactly the behaviour its summary names: the same probe sees one
// answer from the reference gateway and another from the mutation.
const profile = loadProfile("lumenfall");
const TIMING = { attemptTimeoutMs: 400, deadlineMs: 1_000 };
let mock: MockServer;
let reference: Gateway;

async function plan(providers: Record<string, unknown[]>): Promise<{ id: string; marker: string }> {
  return new MockClient(mock.url).addPlan({ providers });
}

async function providersAsked(id: string): Promise<string[]> {
  const res = await fetch(`${mock.url}/_faultline/plans/${id}/journal`, {
    signal: AbortSignal.timeout(2_000),
  });
  return ((await res.json()) as { entries: Array<{ provider: string }> }).entries.map((e) => e.provider);
}

interface Sent {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers by path; a wrong shape fails the assertion
  body: any;
}

async function send(
  g: Gateway,
  o: {
    steps?: Record<string, unknown[]>;
    body?: Record<string, unknown> | string;
    key?: string;
    method?: string;
    path?: string;
    timeoutMs?: number;
  } = {},
): Promise<Sent & { planId?: string }> {
  const p = o.steps ? await plan(o.steps) : undefined;
  const body =
    typeof o.body === "string"
      ? o.body
      : JSON.stringify({
          model: "faultline-chat",
          messages: [{ role: "user", content: `hi ${p?.marker ?? ""}` }],
          ...o.body,
        });
  const res = await fetch(`${g.url}${o.path ?? "/v1/chat/completions"}`, {
    method: o.method ?? "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${o.key ?? GATEWAY_DEFAULTS.apiKeys[0]}`,
    },
    body: (o.method ?? "POST") === "POST" ? body : undefined,
    signal: AbortSignal.timeout(o.timeoutMs ?? 5_000),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, text, body: parsed, planId: p?.id };
}

const allFail = (step: string) => ({ alpha: [step], beta: [step], gamma: [step] });
const upstreamKey = GATEWAY_DEFAULTS.upstreamKey("gamma");

/** defect id → [probe, what the reference answers, what the mutation answers]. */
const ROWS: Record<string, [(g: Gateway) => Promise<unknown>, unknown, unknown]> = {
  exhaustion_200: [async (g) => (await send(g, { steps: allFail("server_error") })).status, 502, 200],
  raw_passthrough: [
    async (g) => {
      const a = await send(g, { steps: allFail("rate_limit") });
      return [a.status, a.text.includes("Rate limit reached")];
    },
    [502, false],
    [429, true],
  ],
  no_failover: [
    async (g) => (await send(g, { steps: { alpha: ["rate_limit"], beta: ["ok"] } })).status,
    200,
    502,
  ],
  content_policy_failover: [
    async (g) => {
      const a = await send(g, { steps: { alpha: ["content_policy"], beta: ["ok"] } });
      return [a.status, await providersAsked(a.planId!)];
    },
    [400, ["alpha"]],
    [200, ["alpha", "beta"]],
  ],
  malformed_json_500: [async (g) => (await send(g, { body: '{"model":' })).status, 400, 500],
  no_retry_after: [
    async (g) => (await send(g, { key: GATEWAY_DEFAULTS.limitedKey })).headers.get("retry-after"),
    "1",
    null,
  ],
  auth_ignored: [async (g) => (await send(g, { key: "fl-stranger" })).status, 401, 200],
  unknown_model_200: [async (g) => (await send(g, { body: { model: "no-such-model" } })).status, 404, 200],
  wrong_status: [async (g) => (await send(g, { body: { temperature: 3 } })).status, 400, 422],
  unlisted_code: [
    async (g) => (await send(g, { body: { temperature: 3 } })).body.error.code,
    "INVALID_REQUEST",
    "BAD_PARAMS",
  ],
  upstream_auth_as_401: [
    async (g) => {
      const a = await send(g, { steps: allFail("auth") });
      return [a.status, a.body.error.code];
    },
    [502, "ALL_PROVIDERS_EXHAUSTED"],
    [401, "AUTHENTICATION_FAILED"],
  ],
  leak_key: [
    async (g) => (await send(g, { steps: allFail("server_error") })).text.includes(upstreamKey),
    false,
    true,
  ],
  no_deadline: [
    (g) =>
      send(g, { steps: allFail("hang"), timeoutMs: 2_000 }).then(
        (a) => a.status,
        () => "no answer",
      ),
    502,
    "no answer",
  ],
  stream_done_after_break: [
    async (g) => {
      const a = await send(g, {
        steps: { alpha: [{ step: "stream_cut", afterChunks: 2 }] },
        body: { stream: true },
      });
      const events = a.text.split("\n\n").filter(Boolean);
      return [events.some((e) => e.includes('"error"')), events.at(-1)];
    },
    [true, expect.stringContaining('"error"')],
    [true, "data: [DONE]"],
  ],
  flat_envelope: [
    async (g) => typeof (await send(g, { key: "fl-stranger" })).body.error?.code,
    "string",
    "undefined",
  ],
  error_behind_200: [async (g) => (await send(g, { steps: { alpha: ["content_policy"] } })).status, 400, 200],
  unknown_model_as_invalid: [
    async (g) => (await send(g, { body: { model: "no-such-model" } })).body.error.code,
    "MODEL_NOT_FOUND",
    "INVALID_REQUEST",
  ],
  upstream_status_502: [
    async (g) => (await send(g, { steps: { alpha: ["context_length"] } })).status,
    400,
    502,
  ],
  route_plaintext: [
    async (g) => (await send(g, { method: "GET", path: "/nowhere" })).headers.get("content-type"),
    "application/json",
    "text/plain",
  ],
  retry_same_provider_early: [
    async (g) => {
      const r = await send(g, {
        steps: { alpha: [{ step: "rate_limit", retryAfterS: 1 }, "ok"], beta: ["ok"] },
      });
      return (await providersAsked(r.planId!)).join(",");
    },
    "alpha,beta",
    "alpha,alpha",
  ],
  stream_no_failover: [
    async (g) =>
      (await send(g, { steps: { alpha: ["rate_limit"], beta: ["ok"] }, body: { stream: true } })).status,
    200,
    502,
  ],
  sse_bad_framing: [
    async (g) =>
      (await send(g, { steps: { alpha: ["ok"] }, body: { stream: true } })).text.includes("\n\ndata:"),
    true,
    false,
  ],
  leak_upstream_url: [
    async (g) =>
      (await send(g, { steps: allFail("server_error") })).text.includes(mock.url.replace("http://", "")),
    false,
    true,
  ],
  exhaustion_no_answer: [
    (g) =>
      send(g, { steps: allFail("server_error") }).then(
        (a) => a.status,
        () => "no answer",
      ),
    502,
    "no answer",
  ],
  exit_on_stream_reset: [
    async (g) => {
      await send(g, {
        steps: { alpha: [{ step: "stream_reset", afterChunks: 1 }] },
        body: { stream: true },
      }).catch(() => undefined);
      return (await probeGateway({ gateway: g.url }, 2_000)).up;
    },
    true,
    false,
  ],
  empty_body_drops: [
    async (g) =>
      send(g, { body: "" }).then(
        (a) => a.status,
        () => "no answer",
      ),
    400,
    "no answer",
  ],
};

function upstreams() {
  return ["alpha", "beta", "gamma"].map((name) => ({ name, baseUrl: mock.providerUrl(name) }));
}

beforeAll(async () => {
  mock = await startMock();
  reference = await startGateway({ profile, upstreams: upstreams(), ...TIMING });
});
afterAll(async () => {
  await reference?.close();
  await mock?.close();
});

describe("gateway mutations", () => {
  it("has a probe for every registered mutation, and each names a check", () => {
    expect(Object.keys(ROWS).sort()).toEqual(CORE_MUTATIONS.map((m) => m.id).sort());
    for (const m of CORE_MUTATIONS) expect(m.expectedCheck).toMatch(/^[A-Z]+-\d{3}$/);
  });

  it("rejects an unknown defect, listing the valid ones", async () => {
    await expect(startGateway({ profile, upstreams: upstreams(), defects: ["nope"] })).rejects.toThrow(
      /unknown defect "nope"; expected one of exhaustion_200, .*route_plaintext/,
    );
  });

  // Profile-feature and stateful mutations have their own probes (gateway-profiles, idempotency, tasks tests).
  it.each(CORE_MUTATIONS.map((m) => [m.id, m.summary]))("%s: %s", async (id) => {
    const [probe, good, bad] = ROWS[id]!;
    const mutant = await startGateway({ profile, upstreams: upstreams(), ...TIMING, defects: [id] });
    try {
      const [seen, seenMutated] = await Promise.all([probe(reference), probe(mutant)]);
      expect(seen).toEqual(good);
      expect(seenMutated).toEqual(bad);
    } finally {
      await mutant.close();
    }
  });
});

describe("the mutant catalogue: one file, one policy member each", () => {
  it("lists every file in gateway/mutants/, and nothing else", () => {
    const dir = new URL("../gateway/mutants/", import.meta.url);
    const files = readdirSync(dir)
      .filter((f) => f.endsWith(".ts") && f !== "index.ts" && f !== "define.ts")
      .map((f) => f.slice(0, -3));
    expect(MUTANTS.map((m) => m.id).sort()).toEqual(files.sort());
  });

  it("each mutant bends exactly one member of the reference policy, with a function of its own", () => {
    for (const m of MUTANTS) {
      const bent = Object.entries(m.policy);
      expect(bent, m.id).toHaveLength(1);
      const [member, fn] = bent[0]!;
      expect(Object.keys(REFERENCE_POLICY), m.id).toContain(member);
      expect(typeof fn, m.id).toBe("function");
      expect(fn, m.id).not.toBe(REFERENCE_POLICY[member as keyof typeof REFERENCE_POLICY]);
    }
  });

  it("refuses a mutant that bends no member, or two", () => {
    const base = { id: "x_y", summary: "s", family: "envelope", expectedCheck: "ENV-001" } as const;
    expect(() => defineMutant({ ...base, policy: {} })).toThrow(/exactly one policy member, saw 0 \(none\)/);
    expect(() =>
      defineMutant({ ...base, policy: { streamFrame: (r) => r, afterFailure: () => "stop" } }),
    ).toThrow(/exactly one policy member, saw 2 \(streamFrame, afterFailure\)/);
    expect(() => defineMutant({ ...base, id: "Bad-Id", policy: { streamFrame: (r) => r } })).toThrow(
      /snake_case/,
    );
  });
});
