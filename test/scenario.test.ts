// Scenarios: time-phased default plans for the whole mock. Fixtures are checked for what their names
// promise, the player is driven with fake timers, and the control API and CLI are used for real.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { MockEngine } from "../mocks/engine.ts";
import { describeScenarioEvent, type ScenarioEvent, ScenarioPlayer } from "../mocks/scenario.ts";
import {
  builtinScenarios,
  loadScenarioFile,
  parseScenario,
  type Scenario,
  ScenarioError,
} from "../mocks/scenario-schema.ts";
import { type MockServer, startMock } from "../mocks/server.ts";
import type { MockRequest } from "../mocks/types.ts";

const PROVIDERS = ["alpha", "beta", "gamma"];

function chat(provider: string, marker = ""): MockRequest {
  return {
    method: "POST",
    path: `/${provider}/v1/chat/completions`,
    query: new URLSearchParams(),
    headers: {},
    body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: `hi ${marker}` }] }),
  };
}

/** What `n` unplanned requests to a provider get right now: `status` or the transport fault, and the step. */
function sample(engine: MockEngine, provider: string, n = 20) {
  return Array.from({ length: n }, () => {
    const { reply, entry } = engine.decide(chat(provider))!;
    return {
      step: entry.step.step,
      status: reply.fault ?? reply.status,
      retryAfter: reply.headers["retry-after"],
      delayMs: reply.delayMs ?? 0,
    };
  });
}

function scenarioError(raw: unknown, providers?: string[]): string {
  try {
    parseScenario(raw, { providers });
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return (e as Error).message;
  }
  throw new Error("scenario was accepted");
}

const base = { name: "t", description: "test" };

describe("scenario validation names the field", () => {
  it.each([
    [
      {
        ...base,
        phases: [
          { name: "a", durationMs: 10 },
          { name: "b", durationMs: 10 },
          { name: "c", durationMs: 10, providers: { beta: ["x"] } },
        ],
      },
      /^scenario\.phases\[2\]\.providers\.beta\[0\]: unknown step "x"; expected one of ok, .*rate_limit/,
    ],
    [{ ...base, phases: [{ name: "a" }] }, /^scenario\.phases\[0\]\.durationMs: /],
    [{ ...base, phases: [] }, /^scenario\.phases: /],
    [{ name: "t", phases: [{ name: "a", durationMs: 1 }] }, /^scenario\.description: /],
    [{ ...base, loop: "yes", phases: [{ name: "a", durationMs: 1 }] }, /^scenario\.loop: /],
    [{ ...base, colour: 1, phases: [{ name: "a", durationMs: 1 }] }, /^scenario: .*colour/],
    [
      {
        ...base,
        phases: [{ name: "a", durationMs: 1, providers: { "*": [{ step: "rate_limit", retryAfterS: -2 }] } }],
      },
      /^scenario\.phases\[0\]\.providers\["\*"\]\[0\]\.retryAfterS: /,
    ],
    [
      {
        ...base,
        phases: [
          {
            name: "a",
            durationMs: 1,
            providers: { alpha: { policy: "probabilistic", mix: [{ p: 2, step: "ok" }] } },
          },
        ],
      },
      /^scenario\.phases\[0\]\.providers\.alpha\.mix\[0\]\.p: expected a probability/,
    ],
    [
      { ...base, phases: [{ name: "a", durationMs: 1, providers: { "Bad Name": "ok" } }] },
      /^scenario\.phases\[0\]\.providers\["Bad Name"\]: expected a provider name or "\*"$/,
    ],
  ])("%#: %j", (raw, message) => {
    expect(scenarioError(raw)).toMatch(message);
  });

  it("names a provider the mock does not have, and lists the ones it does", () => {
    const raw = { ...base, phases: [{ name: "a", durationMs: 1, providers: { zeta: "ok" } }] };
    expect(scenarioError(raw, PROVIDERS)).toBe(
      'scenario.phases[0].providers.zeta: unknown provider; expected one of alpha, beta, gamma or "*"',
    );
  });

  it("lists the built-in scenarios for an unknown name", () => {
    expect(() => loadScenarioFile("no-such-scenario")).toThrow(
      /unknown scenario "no-such-scenario"; expected one of 429-storm, /,
    );
  });
});

describe("shipped scenarios do what their names say", () => {
  beforeAll(() => {
    vi.useFakeTimers();
  });
  afterAll(() => {
    vi.useRealTimers();
  });

  it("all six ship and validate against the default providers", () => {
    expect(builtinScenarios()).toEqual([
      "429-storm",
      "provider-down",
      "brownout",
      "flapping",
      "content-policy-wave",
      "all-down",
    ]);
  });

  /** Plays a shipped scenario and samples every provider in every phase of its first pass. */
  function playThrough(name: string) {
    const scenario = loadScenarioFile(name, { providers: PROVIDERS });
    const engine = new MockEngine();
    const player = new ScenarioPlayer(engine, scenario).start();
    const phases = scenario.phases.map((ph) => {
      const got = Object.fromEntries(PROVIDERS.map((p) => [p, sample(engine, p)]));
      vi.advanceTimersByTime(ph.durationMs);
      return { name: ph.name, ...got } as { name: string } & Record<string, ReturnType<typeof sample>>;
    });
    const after = player.status();
    player.stop();
    return { scenario, phases, after };
  }
  const statuses = (xs: ReturnType<typeof sample>) => new Set(xs.map((x) => x.status));

  it("429-storm: every provider 429s with Retry-After from the start, then all recover", () => {
    const { phases, after } = playThrough("429-storm");
    expect(phases[0]!.name).toBe("storm");
    for (const p of PROVIDERS) {
      expect(statuses(phases[0]![p]!)).toEqual(new Set([429]));
      expect(phases[0]![p]!.every((x) => x.retryAfter === "1")).toBe(true);
      expect(statuses(phases.at(-1)![p]!)).toEqual(new Set([200]));
    }
    expect(after.state).toBe("ended");
  });

  it("provider-down: alpha alone answers 503 for a phase, then recovers", () => {
    const { phases } = playThrough("provider-down");
    const down = phases.filter((ph) => statuses(ph.alpha!).has(503));
    expect(down).toHaveLength(1);
    expect(statuses(down[0]!.alpha!)).toEqual(new Set([503]));
    expect(statuses(down[0]!.beta!)).toEqual(new Set([200]));
    expect(statuses(down[0]!.gamma!)).toEqual(new Set([200]));
    expect(statuses(phases.at(-1)!.alpha!)).toEqual(new Set([200]));
  });

  it("brownout: latency rises phase by phase, then timeouts and hangs, then recovery", () => {
    const { phases } = playThrough("brownout");
    const medianDelay = (i: number) => {
      const d = phases[i]!.alpha!.map((x) => x.delayMs).sort((a, b) => a - b);
      return d[Math.floor(d.length / 2)]!;
    };
    expect(medianDelay(0)).toBeLessThan(medianDelay(1));
    expect(medianDelay(1)).toBeLessThan(medianDelay(2));
    const late = phases.at(-2)!;
    const steps = new Set(PROVIDERS.flatMap((p) => late[p]!.map((x) => x.step)));
    expect(steps.has("hang")).toBe(true);
    expect(statuses(late.alpha!).has(200)).toBe(true); // headers_then_hang and stall send 200 first
    expect(statuses(phases.at(-1)!.alpha!)).toEqual(new Set([200]));
  });

  it("flapping: beta alternates up and down, and the scenario loops", () => {
    const { phases, after } = playThrough("flapping");
    expect(statuses(phases[0]!.beta!)).toEqual(new Set([200]));
    expect(statuses(phases[1]!.beta!).has(200)).toBe(false);
    expect(statuses(phases[1]!.alpha!)).toEqual(new Set([200]));
    expect(after).toMatchObject({ state: "playing", cycle: 1, phase: { index: 0, name: "up" } });
  });

  it("content-policy-wave: mostly 400 content_policy during the wave, calm around it", () => {
    const { phases } = playThrough("content-policy-wave");
    const wave = phases.find((ph) => ph.name === "wave")!;
    const refused = PROVIDERS.flatMap((p) => wave[p]!).filter((x) => x.step === "content_policy");
    expect(refused.length).toBeGreaterThan(30);
    expect(refused.every((x) => x.status === 400)).toBe(true);
    expect(statuses(phases[0]!.alpha!)).toEqual(new Set([200]));
    expect(statuses(phases.at(-1)!.alpha!)).toEqual(new Set([200]));
  });

  it("all-down: no provider ever answers 2xx", () => {
    const { phases } = playThrough("all-down");
    for (const ph of phases)
      for (const p of PROVIDERS) expect([...statuses(ph[p]!)].filter((s) => s === 200)).toEqual([]);
  });
});

describe("the scenario player", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const scenario = (over: Partial<Scenario> = {}): Scenario =>
    parseScenario(
      {
        ...base,
        name: "demo",
        phases: [
          {
            name: "flaky",
            durationMs: 100,
            providers: { alpha: ["server_error", "ok"], "*": "unavailable" },
          },
          {
            name: "mixed",
            durationMs: 200,
            providers: {
              alpha: {
                policy: "probabilistic",
                mix: [
                  { p: 0.5, step: "ok" },
                  { p: 0.5, step: "reset" },
                ],
              },
            },
          },
        ],
        ...over,
      },
      { providers: PROVIDERS },
    );

  it("announces each phase, switches policies on its timers, and ends with everyone ok", () => {
    vi.useFakeTimers();
    const events: ScenarioEvent[] = [];
    const engine = new MockEngine();
    const player = new ScenarioPlayer(engine, scenario(), (e) => events.push(e)).start();
    expect(sample(engine, "beta", 2).map((x) => x.step)).toEqual(["unavailable", "unavailable"]);
    vi.advanceTimersByTime(99);
    expect(player.status().phase?.name).toBe("flaky");
    vi.advanceTimersByTime(1);
    expect(player.status().phase).toMatchObject({ index: 1, name: "mixed", durationMs: 200 });
    expect(sample(engine, "beta", 2).map((x) => x.step)).toEqual(["ok", "ok"]);
    vi.advanceTimersByTime(200);
    expect(player.status()).toMatchObject({ state: "ended", phase: null });
    expect(engine.defaultPolicy).toBeUndefined();
    expect(events.map(describeScenarioEvent)).toEqual([
      'scenario demo: phase "flaky" (100 ms)',
      'scenario demo: phase "mixed" (200 ms)',
      "scenario demo: ended",
    ]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("counts attempts per phase, so 'fail N then succeed' starts over each time a phase starts", () => {
    vi.useFakeTimers();
    const engine = new MockEngine();
    const player = new ScenarioPlayer(engine, scenario({ loop: true })).start();
    expect(sample(engine, "alpha", 3).map((x) => x.step)).toEqual(["server_error", "ok", "ok"]);
    vi.advanceTimersByTime(300);
    expect(player.status()).toMatchObject({ cycle: 1, phase: { name: "flaky" } });
    expect(sample(engine, "alpha", 3).map((x) => x.step)).toEqual(["server_error", "ok", "ok"]);
    player.stop();
  });

  it("leaves requests that carry a plan to their plan", () => {
    vi.useFakeTimers();
    const engine = new MockEngine();
    const player = new ScenarioPlayer(engine, scenario()).start();
    const plan = engine.addPlan({ providers: { beta: ["content_policy"] } });
    expect(engine.decide(chat("beta", `faultline:${plan.id}`))!.entry.step.step).toBe("content_policy");
    expect(engine.decide(chat("beta"))!.entry.step.step).toBe("unavailable");
    player.stop();
  });

  it("stop() clears its timers and hands the default back", () => {
    vi.useFakeTimers();
    const engine = new MockEngine();
    const events: string[] = [];
    const player = new ScenarioPlayer(engine, scenario({ loop: true }), (e) =>
      events.push(describeScenarioEvent(e)),
    ).start();
    expect(vi.getTimerCount()).toBe(1);
    player.stop();
    expect(vi.getTimerCount()).toBe(0);
    expect(engine.defaultPolicy).toBeUndefined();
    expect(player.status().state).toBe("stopped");
    expect(events.at(-1)).toBe("scenario demo: stopped");
  });

  it("the same seed replays the same outcomes; another seed does not", () => {
    vi.useFakeTimers();
    const run = (seed: number) => {
      const engine = new MockEngine();
      const player = new ScenarioPlayer(engine, parseScenario(mixedOnly, { seed })).start();
      const got = sample(engine, "alpha", 40).map((x) => x.step);
      player.stop();
      return got;
    };
    expect(run(1)).toEqual(run(1));
    expect(new Set(run(1))).toEqual(new Set(["ok", "reset"]));
    expect(run(1)).not.toEqual(run(2));
  });
});

const mixedOnly = {
  ...base,
  phases: [
    {
      name: "mixed",
      durationMs: 1000,
      providers: {
        alpha: {
          policy: "probabilistic",
          mix: [
            { p: 0.5, step: "ok" },
            { p: 0.5, step: "reset" },
          ],
        },
      },
    },
  ],
};

describe("switching scenarios at runtime: /_faultline/scenario", () => {
  let mock: MockServer;
  const events: string[] = [];
  beforeAll(async () => {
    mock = await startMock({ onScenarioEvent: (e) => events.push(describeScenarioEvent(e)) });
  });
  afterAll(() => mock.close());

  const control = (method: string, body?: string, query = "") =>
    fetch(`${mock.url}/_faultline/scenario${query}`, { method, body, signal: AbortSignal.timeout(2_000) });
  const chatStatus = async (provider = "alpha") => {
    const res = await fetch(`${mock.providerUrl(provider)}/chat/completions`, {
      method: "POST",
      body: '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}',
      signal: AbortSignal.timeout(2_000),
    });
    await res.arrayBuffer();
    return { status: res.status, retryAfter: res.headers.get("retry-after") };
  };

  it("PUT YAML plays it, GET tells the phase, and the phases move on by themselves", async () => {
    const yaml = [
      "name: quick-storm",
      "description: a storm, then calm",
      "phases:",
      "  - name: storm",
      // Long enough that a loaded machine still sends the next request inside the storm.
      "    durationMs: 1500",
      '    providers: { "*": [{ step: rate_limit, retryAfterS: 7 }] }',
      "  - name: calm",
      "    durationMs: 60000",
    ].join("\n");
    const put = await control("PUT", yaml);
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({
      scenario: { name: "quick-storm", state: "playing", phase: { name: "storm" } },
    });
    expect(await chatStatus("gamma")).toEqual({ status: 429, retryAfter: "7" });
    await expect
      .poll(
        async () =>
          ((await (await control("GET")).json()) as { scenario: { phase: { name: string } } }).scenario.phase
            .name,
        {
          timeout: 6_000,
        },
      )
      .toBe("calm");
    expect(await chatStatus("gamma")).toEqual({ status: 200, retryAfter: null });
    expect(events).toContain('scenario quick-storm: phase "calm" (60000 ms)');
  });

  it("PUT JSON replaces the scenario; ?seed= overrides its seed", async () => {
    const json = JSON.stringify({
      ...base,
      name: "down",
      seed: 1,
      phases: [{ name: "down", durationMs: 60_000, providers: { beta: "unavailable" } }],
    });
    const put = await control("PUT", json, "?seed=42");
    expect(await put.json()).toMatchObject({ scenario: { name: "down", seed: 42 } });
    expect(events).toContain("scenario quick-storm: replaced");
    expect((await chatStatus("beta")).status).toBe(503);
    expect((await chatStatus("alpha")).status).toBe(200);
  });

  it("an invalid scenario is a 400 naming the field, and the current one keeps playing", async () => {
    const bad = JSON.stringify({
      ...base,
      phases: [{ name: "a", durationMs: 1, providers: { zeta: "ok" } }],
    });
    const res = await control("PUT", bad);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: {
        message:
          'scenario.phases[0].providers.zeta: unknown provider; expected one of alpha, beta, gamma or "*"',
      },
    });
    const notYaml = await control("PUT", "name: [unclosed");
    expect(notYaml.status).toBe(400);
    expect(((await notYaml.json()) as { error: { message: string } }).error.message).toMatch(
      /^scenario is not valid YAML or JSON/,
    );
    expect((await control("PUT", json42(), "?seed=-1")).status).toBe(400);
    expect((await chatStatus("beta")).status).toBe(503);
  });
  const json42 = () => JSON.stringify({ ...base, phases: [{ name: "a", durationMs: 1 }] });

  it("DELETE stops it; GET then says there is none", async () => {
    const del = await control("DELETE");
    expect(await del.json()).toEqual({ stopped: "down" });
    expect(await (await control("GET")).json()).toEqual({ scenario: null });
    expect((await chatStatus("beta")).status).toBe(200);
    expect((await control("POST")).status).toBe(405);
  });

  it("POST /_faultline/reset stops a playing scenario too", async () => {
    const down = JSON.stringify({
      ...base,
      name: "down",
      phases: [{ name: "down", durationMs: 60_000, providers: { beta: "unavailable" } }],
    });
    const put = await control("PUT", down);
    expect(put.status, await put.clone().text()).toBe(200);
    expect((await chatStatus("beta")).status).toBe(503);
    const reset = await fetch(`${mock.url}/_faultline/reset`, {
      method: "POST",
      signal: AbortSignal.timeout(2_000),
    });
    expect(reset.status).toBe(200);
    expect(await (await control("GET")).json()).toEqual({ scenario: null });
    expect((await chatStatus("beta")).status).toBe(200);
  });
});

describe("faultline mock --scenario", () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
  });

  function cli(args: string[]) {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/faultline.ts", "mock", ...args], {
      cwd: new URL("..", import.meta.url),
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let out = "";
    let err = "";
    child.stdout!.on("data", (d) => {
      out += d;
    });
    child.stderr!.on("data", (d) => {
      err += d;
    });
    const waitFor = async (re: RegExp) => {
      await expect.poll(() => out, { timeout: 15_000, interval: 50 }).toMatch(re);
      return re.exec(out)!;
    };
    return { child, waitFor, out: () => out, err: () => err };
  }

  it("reproduces a 429 storm that the official OpenAI SDK sees as 429s with Retry-After", async () => {
    const run = cli(["--port", "0", "--scenario", "fixtures/scenarios/429-storm.yaml", "--seed", "3"]);
    await run.waitFor(/^scenario 429-storm: phase "storm" \(10000 ms\)$/m);
    const [, baseURL] = await run.waitFor(/^alpha\s+openai\s+(\S+)$/m);
    const client = new OpenAI({ apiKey: "sk-test", baseURL, maxRetries: 0, timeout: 5_000 });
    const err = await client.chat.completions
      .create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).status).toBe(429);
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).headers.get("retry-after")).toBe("1");
    run.child.kill("SIGTERM");
    await once(run.child, "exit");
    expect(run.out()).toMatch(/faultline mock: SIGTERM, closing/);
  });

  it("an invalid scenario file is bad usage: exit 2, the field named, no stack", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "faultline-scenario-")), "bad.yaml");
    writeFileSync(
      file,
      "name: bad\ndescription: x\nphases:\n  - {name: a, durationMs: 5}\n  - {name: b, durationMs: 5}\n" +
        "  - {name: c, durationMs: 5, providers: {beta: [x]}}\n",
    );
    try {
      const run = cli(["--port", "0", "--scenario", file]);
      const [code] = await once(run.child, "exit");
      expect(code).toBe(2);
      expect(run.err()).toMatch(
        /^faultline: --scenario: invalid scenario .*bad\.yaml:\nscenario\.phases\[2\]\.providers\.beta\[0\]: unknown step "x"; expected one of ok, /,
      );
      expect(run.err()).not.toMatch(/\n\s+at /);
    } finally {
      rmSync(dirname(file), { recursive: true, force: true });
    }
  });

  it("--seed without --scenario is bad usage", async () => {
    const run = cli(["--port", "0", "--seed", "3"]);
    const [code] = await once(run.child, "exit");
    expect(code).toBe(2);
    expect(run.err()).toMatch(/--seed .* give --scenario too/);
  });
});
