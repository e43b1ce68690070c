// The OpenAI dialect as the official openai-node SDK sees it: error classes, its own retries, streams.
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JournalEntry } from "../mocks/journal.ts";
import { type MockServer, startMock } from "../mocks/server.ts";
import { MockClient } from "../suites/harness/mock-client.ts";
import { untag } from "./helpers/completion-tag.ts";

const MODEL = "gpt-4o-mini";
/** Node may fire a timer up to a millisecond early; receivedAt is read with Date.now(). */
const TIMER_SLACK_MS = 2;
let mock: MockServer;

beforeAll(async () => {
  mock = await startMock({ providers: [{ name: "oa", dialect: "openai", models: [MODEL] }] });
});
afterAll(async () => {
  await mock?.close();
});

async function newPlan(steps: unknown[]): Promise<{ id: string; marker: string }> {
  return new MockClient(mock.url).addPlan({ providers: { oa: steps } });
}

async function journal(id: string): Promise<JournalEntry[]> {
  return new MockClient(mock.url).journal(id);
}

function client(maxRetries: number): OpenAI {
  return new OpenAI({
    apiKey: "sk-faultline-test",
    baseURL: mock.providerUrl("oa"),
    maxRetries,
    timeout: 3_000,
  });
}

function ask(c: OpenAI, marker: string) {
  return c.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: `hi ${marker}` }] });
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => expect.fail("expected the SDK to throw"),
    (e: unknown) => e,
  );
}

describe("openai-node against the OpenAI dialect", () => {
  // openai-node picks the class from the status (src/core/error.ts, APIError.generate) and reads
  // type/code/param from body.error.
  it.each([
    {
      step: "rate_limit",
      error: "RateLimitError",
      status: 429,
      type: "requests",
      code: "rate_limit_exceeded",
    },
    {
      step: { step: "rate_limit", variant: "insufficient_quota" },
      error: "RateLimitError",
      status: 429,
      type: "insufficient_quota",
      code: "insufficient_quota",
    },
    {
      step: "auth",
      error: "AuthenticationError",
      status: 401,
      type: "invalid_request_error",
      code: "invalid_api_key",
    },
    {
      step: "permission",
      error: "PermissionDeniedError",
      status: 403,
      type: "invalid_request_error",
      code: "unsupported_country_region_territory",
    },
    {
      step: "not_found",
      error: "NotFoundError",
      status: 404,
      type: "invalid_request_error",
      code: "model_not_found",
    },
    {
      step: "content_policy",
      error: "BadRequestError",
      status: 400,
      type: "invalid_request_error",
      code: "content_policy_violation",
    },
    {
      step: "context_length",
      error: "BadRequestError",
      status: 400,
      type: "invalid_request_error",
      code: "context_length_exceeded",
    },
    { step: "server_error", error: "InternalServerError", status: 500, type: "server_error", code: null },
    { step: "overloaded", error: "InternalServerError", status: 503, type: "server_error", code: null },
  ] as const)("$step raises $error ($status)", async ({ step, error, status, type, code }) => {
    const plan = await newPlan([step]);
    const err = await failure(ask(client(0), plan.marker));
    expect(err).toBeInstanceOf(OpenAI[error]);
    const e = err as InstanceType<typeof OpenAI.APIError>;
    expect(e.status).toBe(status);
    expect(e.type).toBe(type);
    expect(e.code).toBe(code);
    expect(e.requestID).toMatch(/^req_/);
    if (step === "not_found") expect(e.message).toContain(`The model \`${MODEL}\` does not exist`);
  });

  it("retries a 429 after retry-after-ms, sending x-stainless-retry-count 0, 1, 2", async () => {
    // retry-after-ms wins over retry-after (src/client.ts, retryRequest): the step also sends
    // `retry-after: 1`, so gaps near 1000 ms would mean the SDK ignored retry-after-ms.
    const waitMs = 300;
    const plan = await newPlan([
      { step: "rate_limit", retryAfterMs: waitMs },
      { step: "rate_limit", retryAfterMs: waitMs },
      "ok",
    ]);
    const res = await ask(client(2), plan.marker);
    expect(untag(res.choices[0]?.message.content)).toBe("Hello from oa.");
    const entries = await journal(plan.id);
    expect(entries.map((e) => [e.attempt, e.status, e.headers["x-stainless-retry-count"]])).toEqual([
      [1, 429, "0"],
      [2, 429, "1"],
      [3, 200, "2"],
    ]);
    for (let i = 1; i < entries.length; i++) {
      const gap = entries[i]!.receivedAt - entries[i - 1]!.receivedAt;
      expect(gap).toBeGreaterThanOrEqual(waitMs - TIMER_SLACK_MS);
      expect(gap).toBeLessThan(900);
    }
  });

  it("stops after maxRetries and raises the last 429", async () => {
    const plan = await newPlan([{ step: "rate_limit", retryAfterMs: 20 }]);
    const err = await failure(ask(client(2), plan.marker));
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((await journal(plan.id)).length).toBe(3);
  });

  it("raises a mid-stream error from the stream iterator, after the first chunks", async () => {
    const plan = await newPlan([{ step: "stream_error", afterChunks: 2 }]);
    const stream = await client(0).chat.completions.create({
      model: MODEL,
      stream: true,
      messages: [{ role: "user", content: `hi ${plan.marker}` }],
    });
    const seen: string[] = [];
    const err = await failure(
      (async () => {
        for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? "");
      })(),
    );
    // src/core/streaming.ts: a data line with an `error` object becomes APIError (no status: the 200 was sent).
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).type).toBe("server_error");
    expect(seen.join("")).toBe("Hello ");
  });

  it("reassembles a successful stream", async () => {
    const text = "Faultline streams this, word by word.";
    const plan = await newPlan([{ step: "ok", text }]);
    const stream = await client(0).chat.completions.create({
      model: MODEL,
      stream: true,
      messages: [{ role: "user", content: `hi ${plan.marker}` }],
    });
    let got = "";
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      got += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(got).toBe(text);
    expect(finish).toBe("stop");
  });
});
