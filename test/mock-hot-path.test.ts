// What the mock keeps from one answer to the next so repeated requests cost less (`npm run
// bench:instructions`): the last path's provider, the ASCII-known body, the cached parts of a
// completion, the last metrics and journal counts (the kept readings: test/engine-reading.test.ts).
// Each shortcut must answer exactly what the long way does, whatever order requests come in: these
// tests change what repeats and check the bytes.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { completion, completionJson } from "../mocks/dialects/openai.ts";
import type { DialectContext } from "../mocks/dialects/types.ts";
import { Journal, type JournalEntry } from "../mocks/journal.ts";
import { MockMetrics } from "../mocks/metrics.ts";
import { type MockServer, startMock } from "../mocks/server.ts";
import { builtAscii, flat, isAscii, utf8Length } from "../mocks/strings.ts";
import { rawPost, shape } from "./helpers/raw-http.ts";

describe("utf8Length", () => {
  it("is Buffer.byteLength whatever was recorded as ASCII or measured before", () => {
    const ascii = fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)) });
    const any = fc.string({ unit: "binary" });
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            ascii.map((s) => ({ built: s })),
            any.map((s) => ({ measure: s })),
          ),
          {
            maxLength: 30,
          },
        ),
        (ops) => {
          let last = "";
          for (const op of ops) {
            if ("built" in op) last = builtAscii(op.built);
            else {
              expect(utf8Length(op.measure)).toBe(Buffer.byteLength(op.measure));
              // The same value again, and the recorded one: from the slots.
              expect(utf8Length(op.measure)).toBe(Buffer.byteLength(op.measure));
            }
            expect(utf8Length(last)).toBe(Buffer.byteLength(last));
          }
        },
      ),
      { seed: 5, numRuns: 300 },
    );
  });

  it("isAscii agrees with a regular expression, and flat changes no string", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (a, b) => {
        expect(isAscii(a)).toBe(!/[^\x00-\x7f]/.test(a));
        // A rope (a concatenation past V8's short-string limit) and a flat string alike.
        const rope = `${a}${b}-and-something-long`;
        expect(flat(rope)).toBe(rope);
        expect(flat(a)).toBe(a);
      }),
      { seed: 6, numRuns: 300 },
    );
  });
});

describe("completionJson's cached parts", () => {
  const base: DialectContext = {
    provider: "alpha",
    model: "gpt-4o-mini",
    stream: false,
    requestId: "0123456789abcdef00000001",
    text: "Hello from alpha (1f3a-2c).",
    nowS: 1_700_000_000,
    promptTokens: 9,
  };

  it("writes what JSON.stringify writes, and a byte length that holds, as time, model and counts change", () => {
    const model = fc.oneof(
      fc.constantFrom("gpt-4o-mini", "gpt-4o", "gpt-ü-模型", 'we"ird\\model\u2028', "🎉"),
      fc.string({ unit: "binary", maxLength: 12 }),
    );
    const step = fc.record({
      model,
      nowS: fc.integer({ min: 1_700_000_000, max: 1_700_000_003 }),
      promptTokens: fc.integer({ min: 1, max: 3 }),
      own: fc.boolean(),
      ascii: fc.boolean(),
      text: fc.constantFrom("Hello from alpha (1f3a-2c).", "Hi ü (1).", "one"),
      id: fc.integer({ min: 0, max: 0xffff }),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 20 }), (steps) => {
        for (const s of steps) {
          const text = s.text;
          // The engine's own text carries its JSON and whether it is ASCII; a step's own text does not.
          const ctx: DialectContext = {
            ...base,
            model: s.model,
            nowS: s.nowS,
            promptTokens: s.promptTokens,
            requestId: `0123456789abcdef${s.id.toString(16).padStart(8, "0")}`,
            text,
            ...(s.own
              ? { textCounted: text, textCountedJson: JSON.stringify(text), textCountedAscii: isAscii(text) }
              : {}),
          };
          const body = completionJson(ctx);
          expect(body).toBe(JSON.stringify(completion(ctx)));
          expect(utf8Length(body)).toBe(Buffer.byteLength(body));
        }
      }),
      { seed: 7, numRuns: 200 },
    );
  });
});

describe("the metrics' last count", () => {
  it("counts interleaved answers as a count of each kind from scratch does", async () => {
    const entry = fc.record({
      provider: fc.constantFrom("alpha", "beta"),
      step: fc.constantFrom("ok", "rate_limit"),
      status: fc.constantFrom(200, 429, undefined),
      outcome: fc.constantFrom("answered", "fault", "client_closed") as fc.Arbitrary<JournalEntry["outcome"]>,
    });
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { maxLength: 25 }), async (entries) => {
        const metrics = new MockMetrics({
          planCount: 0,
          journal: { size: 0, droppedTotal: 0 },
          requestCounts: () => [],
        });
        const expected = new Map<string, number>();
        for (const e of entries) {
          metrics.answered({ ...e, step: { step: e.step } } as JournalEntry);
          const key = `faultline_mock_answers_total{provider="${e.provider}",step="${e.step}",status="${e.status ?? "none"}",outcome="${e.outcome}"}`;
          expected.set(key, (expected.get(key) ?? 0) + 1);
        }
        const { text } = await metrics.render();
        const seen = new Map<string, number>();
        for (const line of text.split("\n"))
          if (line.startsWith("faultline_mock_answers_total{")) {
            const at = line.lastIndexOf(" ");
            seen.set(line.slice(0, at), Number(line.slice(at + 1)));
          }
        expect(seen).toEqual(expected);
      }),
      { seed: 8, numRuns: 40 },
    );
  });
});

describe("the journal's count of a plan's entries", () => {
  it("holds what a plain list with the same caps holds, as plans interleave, are forgotten and cleared", () => {
    const op = fc.oneof(
      { weight: 8, arbitrary: fc.record({ record: fc.constantFrom("a", "b", undefined) }) },
      { weight: 1, arbitrary: fc.record({ forget: fc.constantFrom("a", "b") }) },
      { weight: 1, arbitrary: fc.constant({ clear: true }) },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(op, { maxLength: 40 }),
        (maxEntries, maxPerPlan, ops) => {
          const journal = new Journal({ maxEntries, maxPerPlan, maxBodyBytes: 100 });
          let model: Array<{ n: number; planId?: string }> = [];
          let n = 0;
          for (const o of ops) {
            if ("record" in o) {
              const planId = o.record;
              n++;
              journal.record({
                ...{ seq: 0, dialect: "openai", attempt: 1, method: "POST", path: "/", query: "" },
                ...{ headers: {}, bodyTruncated: false, receivedAt: 0, step: { step: "ok" } },
                planId,
                provider: "alpha",
                body: String(n),
              });
              const held = model.filter((e) => planId !== undefined && e.planId === planId).length;
              if (planId === undefined || held < maxPerPlan) model.push({ n, planId });
              while (model.length > maxEntries) model.shift();
            } else if ("forget" in o) {
              journal.forgetPlan(o.forget);
              model = model.filter((e) => e.planId !== o.forget);
            } else {
              journal.clear();
              model = [];
            }
            expect(journal.query().map((e) => e.body)).toEqual(model.map((e) => String(e.n)));
          }
        },
      ),
      { seed: 9, numRuns: 300 },
    );
  });
});

describe("a run of requests that repeat and change", () => {
  let mock: MockServer;
  beforeAll(async () => {
    mock = await startMock({
      providers: [
        { name: "alpha", dialect: "openai", models: ["*"] },
        { name: "beta", dialect: "openai", models: ["*"] },
      ],
    });
  });
  afterAll(() => mock.close());

  it("answers each with a content-length equal to its bytes, the model it asked for, and journals its body", async () => {
    const chat = (model: string, content: string) =>
      JSON.stringify({ model, messages: [{ role: "user", content }] });
    // Same bodies in a row and bodies of one length that differ (the kept readings), ASCII and non-ASCII
    // models (the ASCII-known body), two providers and an unknown path (the kept path).
    const sends: Array<[path: string, body: string]> = [
      ["/alpha/v1/chat/completions", chat("gpt-4o-mini", "aaaa")],
      ["/alpha/v1/chat/completions", chat("gpt-4o-mini", "aaaa")],
      ["/alpha/v1/chat/completions", chat("gpt-4o-mini", "aaab")],
      ["/alpha/v1/chat/completions", chat("gpt-ü-模型", "aaab")],
      ["/alpha/v1/chat/completions", chat("gpt-ü-模型", "aaab")],
      ["/beta/v1/chat/completions", chat("gpt-ü-模型", "aaab")],
      ["/nope/v1/chat/completions", chat("gpt-4o-mini", "aaab")],
      ["/beta/v1/chat/completions", chat("gpt-4o-mini", "ü")],
      ["/alpha/v1/chat/completions", chat("gpt-4o-mini", "aaaa")],
      ["/alpha/v1/chat/completions", chat("🎉", "aaaa")],
    ];
    mock.engine.reset();
    for (const [path, body] of sends) {
      const got = shape((await rawPost(mock.url, path, body)).text);
      expect(got.length).toBe(got.bodyBytes);
      const answer = JSON.parse(got.body);
      if (path.startsWith("/nope")) expect(answer.error.message).toContain("no provider");
      else expect(answer.model).toBe(JSON.parse(body).model);
    }
    const journaled = mock.engine.journal.query().map((e) => [`/${e.provider}/v1/chat/completions`, e.body]);
    expect(journaled).toEqual(sends.filter(([path]) => !path.startsWith("/nope")));
  });
});
