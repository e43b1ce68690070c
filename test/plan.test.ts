// Plans: validation that names the field, sequences whose last step repeats, "fail N then succeed",
// and probabilistic policies that replay exactly from their seed.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MockEngine } from "../mocks/engine.ts";
import { PlanError } from "../mocks/plan.ts";
import { startMock } from "../mocks/server.ts";
import type { MockRequest } from "../mocks/types.ts";

function chat(planId: string, provider = "alpha"): MockRequest {
  return {
    method: "POST",
    path: `/${provider}/v1/chat/completions`,
    query: new URLSearchParams(),
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: `faultline:${planId}` }],
    }),
  };
}

/** The steps the engine applies to `n` successive attempts at one provider. */
function outcomes(engine: MockEngine, planId: string, n: number, provider = "alpha"): string[] {
  return Array.from({ length: n }, () => engine.decide(chat(planId, provider))!.entry.step.step);
}

function planError(raw: unknown): string {
  try {
    new MockEngine().addPlan(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(PlanError);
    return (e as Error).message;
  }
  throw new Error(`plan was accepted: ${JSON.stringify(raw)}`);
}

describe("plan validation names the field", () => {
  it.each([
    [
      { providers: { alpha: ["ok", "x"] } },
      /^plan\.providers\.alpha\[1\]: unknown step "x"; expected one of ok, /,
    ],
    [
      { providers: { zeta: ["ok"] } },
      /^plan\.providers\.zeta: unknown provider; expected one of alpha, beta, gamma$/,
    ],
    [{ providers: { alpha: [] } }, /^plan\.providers\.alpha: expected at least one step/],
    [
      { providers: { alpha: [{ step: "rate_limit", retryAfterS: -1 }] } },
      /^plan\.providers\.alpha\[0\]\.retryAfterS: /,
    ],
    [
      { providers: { alpha: [{ step: "stall", stallMs: "long" }] } },
      /^plan\.providers\.alpha\[0\]\.stallMs: /,
    ],
    [{ providers: { alpha: [{ step: "ok", colour: "red" }] } }, /^plan\.providers\.alpha\[0\]: .*colour/],
    [{ providers: { alpha: [{ nostep: 1 }] } }, /^plan\.providers\.alpha\[0\]\.step: expected a step name/],
    [
      { providers: { alpha: { policy: "probabilistic", mix: [] } } },
      /^plan\.providers\.alpha\.mix: expected a list/,
    ],
    [
      { providers: { alpha: { policy: "probabilistic", mix: [{ p: 1.5, step: "ok" }] } } },
      /^plan\.providers\.alpha\.mix\[0\]\.p: expected a probability between 0 and 1, saw 1\.5$/,
    ],
    [
      { providers: { alpha: { policy: "probabilistic", mix: [{ p: 0.5, step: "ok" }] } } },
      /^plan\.providers\.alpha\.mix: probabilities must add up to 1, saw 0\.5$/,
    ],
    [
      { providers: { alpha: { policy: "probabilistic", mix: [{ p: 1, step: "y" }] } } },
      /^plan\.providers\.alpha\.mix\[0\]\.step: unknown step "y"/,
    ],
    [{ providers: {}, seed: 1.5 }, /^plan\.seed: /],
    [{ nope: 1 }, /^plan\.providers: /],
  ])("%j", (raw, message) => {
    expect(planError(raw)).toMatch(message);
  });
});

describe("sequences", () => {
  const engine = new MockEngine();

  it("repeat their last step", () => {
    const plan = engine.addPlan({ providers: { alpha: ["server_error", "reset"] } });
    expect(outcomes(engine, plan.id, 5)).toEqual(["server_error", "reset", "reset", "reset", "reset"]);
  });

  it("fail N then succeed, counted per provider", () => {
    const plan = engine.addPlan({
      providers: { alpha: ["rate_limit", "unavailable", "ok"], beta: ["hang"] },
    });
    expect(outcomes(engine, plan.id, 1, "beta")).toEqual(["hang"]);
    expect(outcomes(engine, plan.id, 4)).toEqual(["rate_limit", "unavailable", "ok", "ok"]);
    // gamma is not in the plan: it answers ok.
    expect(outcomes(engine, plan.id, 2, "gamma")).toEqual(["ok", "ok"]);
    expect(engine.journal.query({ planId: plan.id }).map((e) => `${e.provider}#${e.attempt}`)).toEqual([
      "beta#1",
      "alpha#1",
      "alpha#2",
      "alpha#3",
      "alpha#4",
      "gamma#1",
      "gamma#2",
    ]);
  });

  it("fail N then succeed, on the wire", async () => {
    const mock = await startMock();
    try {
      const plan = mock.engine.addPlan({ providers: { alpha: ["server_error", "bad_gateway", "ok"] } });
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await fetch(`${mock.providerUrl("alpha")}/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-faultline-plan": plan.id },
          body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }),
          signal: AbortSignal.timeout(2_000),
        });
        await res.arrayBuffer();
        statuses.push(res.status);
      }
      expect(statuses).toEqual([500, 502, 200, 200]);
    } finally {
      await mock.close();
    }
  });
});

describe("probabilistic policies replay from their seed", () => {
  const mix = (seed?: number) => ({
    ...(seed === undefined ? {} : { seed }),
    providers: {
      alpha: {
        policy: "probabilistic",
        mix: [
          { p: 0.5, step: "ok" },
          { p: 0.3, step: { step: "rate_limit", retryAfterS: 1 } },
          { p: 0.2, step: "reset" },
        ],
      },
      beta: {
        policy: "probabilistic",
        mix: [
          { p: 0.5, step: "ok" },
          { p: 0.5, step: "server_error" },
        ],
      },
    },
  });

  /** Two separate mocks on real sockets, each with its own plan: what each attempt got, in order. */
  async function run(seed: number, n = 40): Promise<string[]> {
    const mock = await startMock();
    try {
      const res = await fetch(`${mock.url}/_faultline/plans`, {
        method: "POST",
        body: JSON.stringify(mix(seed)),
        signal: AbortSignal.timeout(2_000),
      });
      const { id } = (await res.json()) as { id: string };
      for (let i = 0; i < n; i++) {
        await fetch(`${mock.providerUrl("alpha")}/chat/completions`, {
          method: "POST",
          headers: { "x-faultline-plan": id },
          body: '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}',
          signal: AbortSignal.timeout(2_000),
        }).then(
          (r) => r.arrayBuffer(),
          () => undefined, // reset rejects the fetch; the journal still records the attempt
        );
      }
      return mock.engine.journal.query({ planId: id }).map((e) => e.step.step);
    } finally {
      await mock.close();
    }
  }

  it("the same seed gives the same sequence of outcomes across two runs", async () => {
    const [a, b] = await Promise.all([run(1234), run(1234)]);
    expect(a).toHaveLength(40);
    expect(a).toEqual(b);
    // The mix is really mixed, not a constant.
    expect(new Set(a)).toEqual(new Set(["ok", "rate_limit", "reset"]));
  });

  it("a different seed gives a different sequence", async () => {
    expect(await run(1234)).not.toEqual(await run(4321));
  });

  it("each provider has its own stream, independent of how attempts interleave", () => {
    const alone = new MockEngine();
    const p1 = alone.addPlan(mix(77));
    const alphaAlone = outcomes(alone, p1.id, 30);
    const mixed = new MockEngine();
    const p2 = mixed.addPlan(mix(77));
    const alphaMixed: string[] = [];
    for (let i = 0; i < 30; i++) {
      alphaMixed.push(...outcomes(mixed, p2.id, 1));
      outcomes(mixed, p2.id, 2, "beta");
    }
    expect(alphaMixed).toEqual(alphaAlone);
  });

  it("frequencies follow the probabilities", () => {
    const engine = new MockEngine();
    const plan = engine.addPlan(mix(5));
    const xs = outcomes(engine, plan.id, 2000);
    const share = (s: string) => xs.filter((x) => x === s).length / xs.length;
    expect(share("ok")).toBeCloseTo(0.5, 1);
    expect(share("rate_limit")).toBeCloseTo(0.3, 1);
    expect(share("reset")).toBeCloseTo(0.2, 1);
  });

  it("without a seed, the plan gets one derived from its id and says so", () => {
    const plan = new MockEngine().addPlan(mix());
    expect(Number.isInteger(plan.seed)).toBe(true);
  });
});

describe("the plan marker", () => {
  it("is read as /faultline:([A-Za-z0-9_-]{1,64})/ finds it: the first marker with an id, 64 characters at most", () => {
    const engine = new MockEngine();
    const expected = (body: string) => /faultline:([A-Za-z0-9_-]{1,64})/.exec(body)?.[1];
    const piece = fc.constantFrom(
      "faultline:",
      "faultline",
      ":",
      "-",
      "_",
      "a",
      "Z",
      "9",
      " ",
      "é",
      '"',
      "x".repeat(70),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (parts) => {
        const body = parts.join("");
        const req = { ...chat("x"), body };
        expect(engine.planIdOf(req)).toBe(expected(body));
      }),
      { seed: 5, numRuns: 2_000 },
    );
    // The header wins over the body, with or without its prefix.
    expect(engine.planIdOf({ ...chat("body"), headers: { "x-faultline-plan": "faultline:hdr" } })).toBe(
      "hdr",
    );
    expect(engine.planIdOf({ ...chat("body"), headers: { "x-faultline-plan": "hdr" } })).toBe("hdr");
  });
});
