// Every completion the mock answers is its attempt's own: a text and an id unique per attempt, recorded in
// the journal with the usage the dialect reported (docs/contract.md §20, §21). Over the socket and through
// the in-process msw adapter, which share one engine.
import fc from "fast-check";
import { setupServer } from "msw/node";
import { fetch as undiciFetch } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countPieces, pieces } from "../mocks/dialects/types.ts";
import type { JournalEntry } from "../mocks/journal.ts";
import { faultlineHandlers } from "../mocks/msw/index.ts";
import { type MockServer, startMock } from "../mocks/server.ts";
import { MockClient } from "../suites/harness/mock-client.ts";
import { TAG, untag } from "./helpers/completion-tag.ts";

const BASE = "https://mock.faultline.test";
let mock: MockServer;
let control: MockClient;
let msw: ReturnType<typeof setupServer>;

beforeAll(async () => {
  mock = await startMock({
    providers: [
      { name: "oa", dialect: "openai", models: ["*"] },
      { name: "an", dialect: "anthropic", models: ["*"] },
      { name: "ge", dialect: "gemini", models: ["*"] },
    ],
  });
  control = new MockClient(mock.url);
  const { handlers } = faultlineHandlers({ engine: mock.engine, baseUrl: BASE });
  msw = setupServer(...handlers);
  msw.listen({ onUnhandledRequest: "bypass" });
});

afterAll(async () => {
  msw?.close();
  await mock?.close();
});

type Fetch = (url: string, init: RequestInit) => Promise<Response>;
const socket: Fetch = (url, init) => undiciFetch(url, init as never) as unknown as Promise<Response>;
const inProcess: Fetch = (url, init) => fetch(url, init);

interface Answer {
  text: string;
  id?: string;
  usage: { prompt?: number; completion?: number };
}

const PATHS: Record<"oa" | "an" | "ge", (stream: boolean) => [string, object]> = {
  oa: (s) => ["/oa/v1/chat/completions", { model: "m", stream: s || undefined }],
  an: (s) => ["/an/v1/messages", { model: "m", max_tokens: 16, stream: s || undefined }],
  ge: (s) => [`/ge/v1beta/models/m:${s ? "streamGenerateContent?alt=sse" : "generateContent"}`, {}],
};

function body(p: keyof typeof PATHS, marker: string, stream: boolean, extra: object = {}): [string, string] {
  const [path, fields] = PATHS[p](stream);
  const prompt = `${marker} say hello`;
  const b =
    p === "ge"
      ? { contents: [{ role: "user", parts: [{ text: prompt }] }] }
      : { ...fields, messages: [{ role: "user", content: prompt }], ...extra };
  return [path, JSON.stringify(b)];
}

/** The text, id and usage of an answer, JSON or SSE, in the provider's own dialect. */
function read(p: keyof typeof PATHS, raw: string, stream: boolean): Answer {
  const docs = stream
    ? raw
        .split(/\r?\n/)
        .filter((l) => l.startsWith("data: ") && l !== "data: [DONE]")
        .map((l) => JSON.parse(l.slice(6)))
    : [JSON.parse(raw)];
  const a: Answer = { text: "", usage: {} };
  for (const d of docs) {
    if (p === "oa") {
      a.id ??= d.id;
      a.text += (stream ? d.choices[0]?.delta?.content : d.choices[0]?.message?.content) ?? "";
      if (d.usage) a.usage = { prompt: d.usage.prompt_tokens, completion: d.usage.completion_tokens };
    } else if (p === "an") {
      if (!stream) {
        a.id = d.id;
        a.text = d.content[0].text;
        a.usage = { prompt: d.usage.input_tokens, completion: d.usage.output_tokens };
      } else if (d.type === "message_start") {
        a.id = d.message.id;
        a.usage.prompt = d.message.usage.input_tokens;
      } else if (d.type === "content_block_delta") a.text += d.delta.text;
      else if (d.type === "message_delta") a.usage.completion = d.usage.output_tokens;
    } else {
      a.id ??= d.responseId;
      a.text += d.candidates[0].content.parts.map((x: { text: string }) => x.text).join("");
      a.usage = {
        prompt: d.usageMetadata.promptTokenCount,
        completion: d.usageMetadata.candidatesTokenCount,
      };
    }
  }
  return a;
}

async function ask(
  f: Fetch,
  base: string,
  p: keyof typeof PATHS,
  marker: string,
  stream: boolean,
  extra = {},
) {
  const [path, b] = body(p, marker, stream, extra);
  const res = await f(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: b,
    signal: AbortSignal.timeout(5_000),
  });
  expect(res.status).toBe(200);
  return read(p, await res.text(), stream);
}

const expectTraced = (a: Answer, e: JournalEntry, tagged = true) => {
  expect(a.text).toBe(e.completionText);
  if (tagged) expect(a.text).toMatch(TAG);
  expect(a.id).toBe(e.completionId);
  // An OpenAI stream that did not ask for usage reports none, and the journal records none.
  expect(a.usage).toEqual(
    e.usage ? { prompt: e.usage.promptTokens, completion: e.usage.completionTokens } : {},
  );
};

describe("completions unique per attempt, journaled with their usage", () => {
  for (const p of ["oa", "an", "ge"] as const) {
    for (const stream of [false, true]) {
      it(`${p} ${stream ? "stream" : "JSON"}: socket and in-process attempts each get their own text and id`, async () => {
        const plan = await control.addPlan({ providers: { [p]: ["ok"] } });
        const a1 = await ask(socket, mock.url, p, plan.marker, stream);
        const a2 = await ask(inProcess, BASE, p, plan.marker, stream);
        const [e1, e2] = await control.journal(plan.id);
        expectTraced(a1, e1!);
        expectTraced(a2, e2!);
        expect(a1.text).not.toBe(a2.text);
        expect(a1.id).not.toBe(a2.id);
        // Still "Hello from <provider>": the tag follows.
        expect(untag(a1.text)).toBe(`Hello from ${p}.`);
        if (p !== "oa" || !stream) expect(e1!.usage!.promptTokens).toBeGreaterThan(1);
        await control.deletePlan(plan.id);
      });
    }
  }

  it("an OpenAI stream reports usage only when asked (stream_options.include_usage), as OpenAI does", async () => {
    const plan = await control.addPlan({ providers: { oa: ["ok"] } });
    const asked = await ask(socket, mock.url, "oa", plan.marker, true, {
      stream_options: { include_usage: true },
    });
    const plain = await ask(socket, mock.url, "oa", plan.marker, true);
    const [withUsage, without] = await control.journal(plan.id);
    expectTraced(asked, withUsage!);
    expect(plain.usage).toEqual({});
    expect(without!.usage).toBeUndefined();
    expect(without!.completionText).toBe(plain.text);
    await control.deletePlan(plan.id);
  });

  it("a plan's own text is kept as given, and a failing attempt records no completion", async () => {
    const plan = await control.addPlan({
      providers: { oa: ["server_error", { step: "ok", text: "fixed words" }] },
    });
    await socket(`${mock.url}${body("oa", plan.marker, false)[0]}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: body("oa", plan.marker, false)[1],
    }).then((r) => r.text());
    const a = await ask(socket, mock.url, "oa", plan.marker, false);
    const [failed, ok] = await control.journal(plan.id);
    expect(failed!.completionText).toBeUndefined();
    expect(a.text).toBe("fixed words");
    expectTraced(a, ok!, false);
    await control.deletePlan(plan.id);
  });
});

describe("pieces", () => {
  it("splits like /\\S+\\s*/g whatever the text, though it caches all but the last word", () => {
    const ws = fc.constantFrom(" ", "\t", "\n", "\u00a0", "\u2003", "\u3000", "\ufeff");
    const text = fc
      .array(fc.oneof(fc.string({ minLength: 1, maxLength: 6 }), ws), { maxLength: 12 })
      .map((p) => p.join(""));
    fc.assert(
      fc.property(text, (t) => {
        expect([...pieces(t)]).toEqual(t.match(/\S+\s*/g) ?? [t]);
        expect(countPieces(t)).toBe(pieces(t).length);
      }),
      { seed: 42, numRuns: 500 },
    );
  });
});
