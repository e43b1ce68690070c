// Delays are timers, drawn from seeded distributions: the same seed gives the same delays, and a
// thousand delayed requests wait side by side rather than one after another.
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seededRandom } from "../core/rng.ts";
import { MockEngine } from "../mocks/engine.ts";
import { drawLatencyMs, type LatencySpec, latencySpec } from "../mocks/latency.ts";
import { PlanError } from "../mocks/plan.ts";
import { type MockServer, startMock } from "../mocks/server.ts";

const draws = (spec: LatencySpec, seed: number, n: number) => {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => drawLatencyMs(spec, random));
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe("latency distributions", () => {
  const lognormal: LatencySpec = { dist: "lognormal", medianMs: 200, sigma: 0.8, capMs: 1500 };

  it("fixed is exactly its ms", () => {
    expect(draws({ dist: "fixed", ms: 42 }, 1, 5)).toEqual([42, 42, 42, 42, 42]);
  });

  it("uniform stays within its bounds and spreads across them", () => {
    const xs = draws({ dist: "uniform", minMs: 10, maxMs: 30 }, 7, 2000);
    expect(Math.min(...xs)).toBe(10);
    expect(Math.max(...xs)).toBe(30);
    expect(median(xs)).toBeGreaterThanOrEqual(18);
    expect(median(xs)).toBeLessThanOrEqual(22);
  });

  it("lognormal centres on its median, has a right tail, and never passes its cap", () => {
    const xs = draws(lognormal, 3, 4001);
    expect(median(xs)).toBeGreaterThan(180);
    expect(median(xs)).toBeLessThan(220);
    // exp(0.8 × 2.326) ≈ 6.4 × median at p99, so the cap of 1500 must be hit sometimes.
    expect(Math.max(...xs)).toBe(1500);
    expect(Math.min(...xs)).toBeGreaterThan(0);
  });

  it("the same seed gives the same delays; another seed gives others", () => {
    expect(draws(lognormal, 99, 50)).toEqual(draws(lognormal, 99, 50));
    expect(draws(lognormal, 99, 50)).not.toEqual(draws(lognormal, 100, 50));
  });

  it("rejects specs that cannot be drawn, naming the field", () => {
    const issue = (v: unknown) => {
      const i = latencySpec().safeParse(v).error?.issues[0];
      return i && `${i.path.join(".")}: ${i.message}`;
    };
    expect(issue({ dist: "uniform", minMs: 50, maxMs: 10 })).toBe("maxMs: expected at least minMs (50)");
    expect(issue({ dist: "lognormal", medianMs: 100, sigma: 1, capMs: 50 })).toBe(
      "capMs: expected at least medianMs (100)",
    );
    expect(issue({ dist: "gamma", ms: 1 })).toMatch(/^dist: /);
    expect(issue({ dist: "fixed", ms: 1, sigma: 2 })).toMatch(/sigma/);
  });

  it("plan errors name the latency field", () => {
    const engine = new MockEngine();
    const err = (alpha: unknown) => {
      try {
        engine.addPlan({ providers: { alpha } });
      } catch (e) {
        expect(e).toBeInstanceOf(PlanError);
        return (e as Error).message;
      }
      return "accepted";
    };
    expect(err([{ step: "latency", dist: "fixed" }])).toMatch(/^plan\.providers\.alpha\[0\]\.ms: /);
    expect(err([{ step: "latency", dist: "uniform", minMs: 9, maxMs: 1 }])).toBe(
      'plan.providers.alpha[0].maxMs: expected at least minMs (9) (step "latency")',
    );
    expect(err(["ok", { step: "ok", latency: { dist: "nope" } }])).toMatch(
      /^plan\.providers\.alpha\[1\]\.latency\.dist: /,
    );
    expect(err([{ step: "latency", dist: "fixed", ms: 5 }])).toBe("accepted");
  });
});

describe("a plan's drawn latencies replay with its seed", () => {
  const req = (planId: string) => ({
    method: "POST",
    path: "/alpha/v1/chat/completions",
    query: new URLSearchParams(),
    headers: { "x-faultline-plan": planId },
    body: '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}',
  });
  const delays = (seed: number) => {
    const engine = new MockEngine();
    const plan = engine.addPlan({
      seed,
      providers: { alpha: [{ step: "latency", dist: "lognormal", medianMs: 100, sigma: 1, capMs: 5000 }] },
    });
    return Array.from({ length: 20 }, () => engine.decide(req(plan.id))!.reply.delayMs);
  };

  it("same seed, same delays; another seed, other delays", () => {
    expect(delays(5)).toEqual(delays(5));
    expect(delays(5)).not.toEqual(delays(6));
    expect(new Set(delays(5)).size).toBeGreaterThan(10);
  });
});

describe("1,000 concurrent delayed requests do not slow each other", () => {
  let mock: MockServer;
  const agent = new Agent({ connections: 1000, headersTimeout: 10_000, bodyTimeout: 10_000 });
  beforeAll(async () => {
    mock = await startMock();
  });
  afterAll(async () => {
    await agent.close();
    await mock.close();
  });

  it("finishes far sooner than 1,000 × 50 ms", async () => {
    const plan = mock.engine.addPlan({ providers: { alpha: [{ step: "ok", delayMs: 50 }] } });
    const body = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
    const one = async () => {
      const t0 = performance.now();
      const res = await request(`${mock.url}/alpha/v1/chat/completions`, {
        method: "POST",
        dispatcher: agent,
        headers: { "content-type": "application/json", "x-faultline-plan": plan.id },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      await res.body.text();
      return { status: res.statusCode, ms: performance.now() - t0 };
    };
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 1000 }, one));
    const wallMs = performance.now() - started;
    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    // Every request really waited its 50 ms …
    expect(Math.min(...results.map((r) => r.ms))).toBeGreaterThanOrEqual(49);
    // … and they waited together: serially this would take 50 s. The bound leaves room for a busy
    // machine to open a thousand connections; scripts/bench/mock.ts measures the timing itself.
    expect(wallMs).toBeLessThan(15_000);
    const j = mock.engine.journal;
    expect(j.query({ planId: plan.id }).length + (j.droppedByPlan.get(plan.id) ?? 0)).toBe(1000);
  });
});
