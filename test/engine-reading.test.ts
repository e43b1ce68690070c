// The engine reads a request body once (route, refusal, plan marker) and reuses that reading when the
// provider's next request is the same text: the answers must be exactly those of a fresh reading.
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_MODELS, MockEngine } from "../mocks/engine.ts";
import type { MockRequest } from "../mocks/types.ts";

function request(path: string, body: string, method = "POST"): MockRequest {
  return { method, path, query: new URLSearchParams(), rawQuery: "", headers: {}, body };
}

/** What a decision says, without what is unique per attempt (ids, tags, times). */
function outcome(engine: MockEngine, req: MockRequest) {
  const d = engine.decide(req);
  if (!d) return undefined;
  const e = d.entry;
  return {
    status: d.reply.status,
    step: e.step,
    planned: e.planId !== undefined,
    attempt: e.attempt,
    answered: e.completionText !== undefined,
    stream: d.reply.chunks !== undefined,
    usage: e.usage,
  };
}

/** Forgets every provider's remembered reading and the last path: the engine then reads each afresh. */
function forget(engine: MockEngine): void {
  // A test-only reach into the engine's private state, to compare with and without what it keeps.
  const own = engine as unknown as {
    runtimes: Map<string, { readings: unknown[] }>;
    lastPath: string | undefined;
  };
  for (const name of engine.providerNames()) own.runtimes.get(name)!.readings.fill(undefined);
  own.lastPath = undefined;
}

afterEach(() => vi.restoreAllMocks());

describe("the engine's reading of a request body", () => {
  it("answers a run of requests, repeated or not, exactly as reading every body afresh does", () => {
    const providers = [
      { name: "alpha", dialect: "openai" as const, models: DEFAULT_MODELS.openai },
      { name: "beta", dialect: "anthropic" as const, models: DEFAULT_MODELS.anthropic },
      { name: "gamma", dialect: "gemini" as const, models: DEFAULT_MODELS.gemini },
    ];
    const planned = {
      providers: { alpha: ["ok", "rate_limit", "ok"], beta: ["server_error", "ok"], gamma: ["ok"] },
      seed: 3,
    };
    // Two engines with the same plan: one keeps its readings, the other forgets them before each request.
    const engines = [new MockEngine({ providers }), new MockEngine({ providers })] as const;
    const ids = engines.map((e) => e.addPlan(planned).id);
    const oai = (extra: Record<string, unknown>) => (id: string) =>
      JSON.stringify({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: `hi faultline:${id}` }],
        ...extra,
      });
    const bodies: Array<(id: string) => string> = [
      oai({}),
      oai({ stream: true }),
      oai({ stream: true, stream_options: { include_usage: true } }),
      oai({ temperature: 7 }),
      oai({ model: "no-such-model" }),
      oai({ stream: "yes" }),
      () => JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "no marker" }] }),
      () => "{not json",
      () => "",
      (id) =>
        JSON.stringify({
          model: "claude-haiku-4-5",
          max_tokens: 5,
          messages: [{ role: "user", content: `faultline:${id}` }],
        }),
      (id) => JSON.stringify({ contents: [{ role: "user", parts: [{ text: `faultline:${id}` }] }] }),
    ];
    const paths = [
      "/alpha/v1/chat/completions",
      "/alpha/v1/models",
      "/beta/v1/messages",
      "/beta/v1/chat/completions",
      "/gamma/v1beta/models/gemini-2.5-flash:generateContent",
      "/gamma/v1beta/models/gemini-2.5-flash:streamGenerateContent",
      "/nope/v1/chat/completions",
      "/alpha",
      "/",
    ];
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            body: fc.constantFrom(...bodies),
            path: fc.constantFrom(...paths),
            method: fc.constantFrom("POST", "GET"),
            times: fc.integer({ min: 1, max: 3 }),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        (steps) => {
          for (const s of steps)
            for (let i = 0; i < s.times; i++) {
              forget(engines[1]);
              const [kept, fresh] = engines.map((e, k) =>
                outcome(e, request(s.path, s.body(ids[k]!), s.method)),
              );
              expect(kept).toEqual(fresh);
            }
        },
      ),
      { seed: 17, numRuns: 300 },
    );
  });

  it("parses a body once while the provider's requests repeat it or a few bodies come in turn", () => {
    const engine = new MockEngine();
    const parse = vi.spyOn(JSON, "parse");
    const body = (content: string) =>
      JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content }] });
    const [a, b, c, d, e] = ["a", "b", "c", "d", "e"].map(body) as [string, string, string, string, string];
    const path = "/alpha/v1/chat/completions";
    for (const x of [a, a, a]) engine.decide(request(path, x));
    expect(parse).toHaveBeenCalledTimes(1);
    // Two bodies in turn (two plans' requests): each parsed once.
    for (const x of [b, a, b, a]) engine.decide(request(path, x));
    expect(parse).toHaveBeenCalledTimes(2);
    // Four are kept: a fifth takes the oldest's place, so that one is parsed again.
    for (const x of [c, d, e]) engine.decide(request(path, x));
    expect(parse).toHaveBeenCalledTimes(5);
    engine.decide(request(path, a));
    expect(parse).toHaveBeenCalledTimes(6);
    engine.decide(request(path, e));
    expect(parse).toHaveBeenCalledTimes(6);
    // The same body on another route of the provider is another reading.
    engine.decide(request("/alpha/v1/models", a, "GET"));
    expect(parse).toHaveBeenCalledTimes(7);
  });

  it("does not keep the reading of a body past 64 Ki characters, so one huge body is not held for it", () => {
    const engine = new MockEngine();
    const parse = vi.spyOn(JSON, "parse");
    const big = JSON.stringify({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "x".repeat(70_000) }],
    });
    const path = "/alpha/v1/chat/completions";
    engine.decide(request(path, big));
    engine.decide(request(path, big));
    expect(parse).toHaveBeenCalledTimes(2);
  });
});
