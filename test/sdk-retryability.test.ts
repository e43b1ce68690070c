// Retryability beyond the status code (docs/contract.md §29) as the official SDKs see it: a spent quota,
// x-should-retry: false and a blocked prompt behind a 200 make each SDK do what the real provider would.
import Anthropic from "@anthropic-ai/sdk";
import { ApiError, GoogleGenAI } from "@google/genai";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MockServer, startMock } from "../mocks/server.ts";
import { MockClient } from "../suites/harness/mock-client.ts";

let mock: MockServer;

beforeAll(async () => {
  mock = await startMock({
    providers: [
      { name: "oa", dialect: "openai", models: ["gpt-4o-mini"] },
      { name: "an", dialect: "anthropic", models: ["claude-sonnet-4-5"] },
      { name: "ge", dialect: "gemini", models: ["gemini-2.5-flash"] },
    ],
  });
});
afterAll(async () => {
  await mock?.close();
});

async function plan(provider: string, steps: unknown[]) {
  const c = new MockClient(mock.url);
  const p = await c.addPlan({ providers: { [provider]: steps } });
  return { marker: p.marker, attempts: async () => (await c.journal(p.id)).length };
}

const openai = (maxRetries: number) =>
  new OpenAI({ apiKey: "sk-faultline-test", baseURL: mock.providerUrl("oa"), maxRetries, timeout: 5_000 });
const askOpenAi = (c: OpenAI, marker: string) =>
  c.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: `hi ${marker}` }] });

const anthropic = (maxRetries: number) =>
  new Anthropic({
    apiKey: "sk-ant-faultline-test",
    baseURL: mock.providerUrl("an"),
    maxRetries,
    timeout: 5_000,
  });
const askAnthropic = (c: Anthropic, marker: string) =>
  c.messages.create({
    model: "claude-sonnet-4-5",
    max_tokens: 64,
    messages: [{ role: "user", content: `hi ${marker}` }],
  });

const gemini = (attempts?: number) =>
  new GoogleGenAI({
    apiKey: "gemini-faultline-test",
    httpOptions: {
      baseUrl: mock.providerUrl("ge"),
      timeout: 5_000,
      ...(attempts === undefined ? {} : { retryOptions: { attempts } }),
    },
  });
const askGemini = (c: GoogleGenAI, marker: string) =>
  c.models.generateContent({ model: "gemini-2.5-flash", contents: `hi ${marker}` });

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => expect.fail("expected the SDK to throw"),
    (e: unknown) => e,
  );
}

describe("x-should-retry: false", () => {
  // Both SDKs obey the header before the status (src/client.ts, shouldRetry): a 500 is retried
  // without it and asked once with it. retry-after-ms keeps the retries quick.
  it("openai-node asks once, where a plain 500 is retried", async () => {
    const told = await plan("oa", [{ step: "server_error", shouldRetry: false }]);
    const e = await failure(askOpenAi(openai(2), told.marker));
    expect(e).toBeInstanceOf(OpenAI.InternalServerError);
    expect(await told.attempts()).toBe(1);
    const plain = await plan("oa", [{ step: "server_error", retryAfterMs: 10 }]);
    await failure(askOpenAi(openai(2), plain.marker));
    expect(await plain.attempts()).toBe(3);
  });

  it("@anthropic-ai/sdk asks once, where a plain 529 is retried", async () => {
    const told = await plan("an", [{ step: "overloaded", shouldRetry: false }]);
    await failure(askAnthropic(anthropic(2), told.marker));
    expect(await told.attempts()).toBe(1);
    const plain = await plan("an", [{ step: "overloaded", retryAfterMs: 10 }]);
    await failure(askAnthropic(anthropic(2), plain.marker));
    expect(await plain.attempts()).toBe(3);
  });
});

describe("quota_exhausted: each provider's spent account", () => {
  it("openai-node raises RateLimitError with type and code insufficient_quota, no Retry-After", async () => {
    const p = await plan("oa", ["quota_exhausted"]);
    const e = (await failure(askOpenAi(openai(0), p.marker))) as InstanceType<typeof OpenAI.APIError>;
    expect(e).toBeInstanceOf(OpenAI.RateLimitError);
    expect([e.status, e.type, e.code]).toEqual([429, "insufficient_quota", "insufficient_quota"]);
    expect(e.headers?.get("retry-after")).toBeNull();
  });

  it("@anthropic-ai/sdk raises RateLimitError whose error.details.error_code names the spend cap", async () => {
    const p = await plan("an", ["quota_exhausted"]);
    const e = (await failure(askAnthropic(anthropic(0), p.marker))) as InstanceType<
      typeof Anthropic.APIError
    >;
    expect(e).toBeInstanceOf(Anthropic.RateLimitError);
    expect(e.status).toBe(429);
    const body = e.error as { error: { type: string; message: string; details: { error_code: string } } };
    expect(body.error.type).toBe("rate_limit_error");
    expect(body.error.details.error_code).toBe("enforced_spend_limit_reached");
    expect(body.error.message).toMatch(/You will regain access on \d{4}-\d\d-01 at 00:00 UTC\.$/);
    expect(e.headers?.get("retry-after")).toBeNull();
  });

  it("@google/genai raises ApiError 402 RESOURCE_EXHAUSTED and, retrying 429s, does not retry it", async () => {
    const p = await plan("ge", ["quota_exhausted"]);
    const e = await failure(askGemini(gemini(), p.marker));
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).status).toBe(402);
    expect(JSON.parse((e as ApiError).message)).toMatchObject({
      error: {
        code: 402,
        status: "RESOURCE_EXHAUSTED",
        message: expect.stringContaining("prepayment credits"),
      },
    });
    // With retries on, 402 is not among the retried statuses (DEFAULT_RETRY_HTTP_STATUS_CODES: 408, 429,
    // 5xx), which is why Google moved depleted prepay off 429: the SDK gives up at once.
    const retrying = await plan("ge", ["quota_exhausted"]);
    const again = await failure(askGemini(gemini(2), retrying.marker));
    expect(String(again)).toMatch(/Non-retryable exception Payment Required/);
    expect(await retrying.attempts()).toBe(1);
  });
});

describe("prompt_blocked: a 200 without a completion", () => {
  it("@google/genai returns promptFeedback.blockReason, no candidates and no text", async () => {
    const p = await plan("ge", [{ step: "prompt_blocked", blockReason: "PROHIBITED_CONTENT" }]);
    const r = await askGemini(gemini(), p.marker);
    expect(r.promptFeedback?.blockReason).toBe("PROHIBITED_CONTENT");
    expect(r.candidates).toBeUndefined();
    expect(r.text).toBeUndefined();
  });

  it("@google/genai streams one chunk carrying the block", async () => {
    const p = await plan("ge", ["prompt_blocked"]);
    const chunks = [];
    for await (const c of await gemini().models.generateContentStream({
      model: "gemini-2.5-flash",
      contents: `hi ${p.marker}`,
    }))
      chunks.push(c);
    expect(chunks.map((c) => c.promptFeedback?.blockReason)).toEqual(["SAFETY"]);
  });

  it("openai-node returns a choice with finish_reason content_filter and no content", async () => {
    const p = await plan("oa", ["prompt_blocked"]);
    const r = await askOpenAi(openai(0), p.marker);
    expect(r.choices[0]).toMatchObject({ finish_reason: "content_filter", message: { content: null } });
  });

  it("@anthropic-ai/sdk returns stop_reason refusal with no content", async () => {
    const p = await plan("an", ["prompt_blocked"]);
    const r = await askAnthropic(anthropic(0), p.marker);
    expect(r.stop_reason).toBe("refusal");
    expect(r.content).toEqual([]);
  });
});
