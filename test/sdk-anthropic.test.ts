// The Anthropic dialect as the official @anthropic-ai/sdk sees it: error classes, its own retries, streams.
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JournalEntry } from "../mocks/journal.ts";
import { type MockServer, startMock } from "../mocks/server.ts";
import { MockClient } from "../suites/harness/mock-client.ts";
import { untag } from "./helpers/completion-tag.ts";

const MODEL = "claude-haiku-4-5";
/** Node may fire a timer up to a millisecond early; receivedAt is read with Date.now(). */
const TIMER_SLACK_MS = 2;
let mock: MockServer;

beforeAll(async () => {
  mock = await startMock({ providers: [{ name: "an", dialect: "anthropic", models: [MODEL] }] });
});
afterAll(async () => {
  await mock?.close();
});

async function newPlan(steps: unknown[]): Promise<{ id: string; marker: string }> {
  return new MockClient(mock.url).addPlan({ providers: { an: steps } });
}

async function journal(id: string): Promise<JournalEntry[]> {
  return new MockClient(mock.url).journal(id);
}

function client(maxRetries: number): Anthropic {
  // The SDK's base URL has no /v1: it appends /v1/messages itself.
  return new Anthropic({
    apiKey: "sk-ant-faultline-test",
    baseURL: mock.providerUrl("an"),
    maxRetries,
    timeout: 3_000,
  });
}

function ask(c: Anthropic, marker: string) {
  return c.messages.create({
    model: MODEL,
    max_tokens: 64,
    messages: [{ role: "user", content: `hi ${marker}` }],
  });
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => expect.fail("expected the SDK to throw"),
    (e: unknown) => e,
  );
}

type AnthropicError = InstanceType<typeof Anthropic.APIError> & { error: { error: { type: string } } };

describe("@anthropic-ai/sdk against the Anthropic dialect", () => {
  // The class comes from the status alone; `type` is body.error.type (src/core/error.ts, APIError.generate).
  // 402 and 413 have no class of their own: the SDK raises a plain APIError for them.
  it.each([
    { step: "rate_limit", error: "RateLimitError", status: 429, type: "rate_limit_error" },
    { step: "auth", error: "AuthenticationError", status: 401, type: "authentication_error" },
    { step: "permission", error: "PermissionDeniedError", status: 403, type: "permission_error" },
    { step: "not_found", error: "NotFoundError", status: 404, type: "not_found_error" },
    { step: "content_policy", error: "BadRequestError", status: 400, type: "invalid_request_error" },
    { step: "context_length", error: "BadRequestError", status: 400, type: "invalid_request_error" },
    { step: "server_error", error: "InternalServerError", status: 500, type: "api_error" },
    { step: "overloaded", error: "InternalServerError", status: 529, type: "overloaded_error" },
    { step: "unavailable", error: "InternalServerError", status: 529, type: "overloaded_error" },
    { step: "gateway_timeout", error: "InternalServerError", status: 504, type: "timeout_error" },
  ] as const)("$step raises $error ($status, $type)", async ({ step, error, status, type }) => {
    const plan = await newPlan([step]);
    const err = await failure(ask(client(0), plan.marker));
    expect(err).toBeInstanceOf(Anthropic[error]);
    const e = err as AnthropicError;
    expect(e.status).toBe(status);
    expect(e.type).toBe(type);
    expect(e.error.error.type).toBe(type);
    // request-id header and body request_id agree, as on the real API.
    expect(e.requestID).toMatch(/^req_/);
    expect(e.error).toMatchObject({ type: "error", request_id: e.requestID });
  });

  it("retries a 529 and a 429 after retry-after-ms, sending x-stainless-retry-count 0, 1, 2", async () => {
    // retry-after-ms wins over retry-after (src/client.ts, retryRequest); the rate_limit step also
    // sends `retry-after: 1`, so a gap near 1000 ms would mean retry-after-ms was ignored.
    const waitMs = 200;
    const plan = await newPlan([
      { step: "overloaded", retryAfterMs: waitMs },
      { step: "rate_limit", retryAfterMs: waitMs },
      "ok",
    ]);
    const msg = await ask(client(2), plan.marker);
    expect(msg.content.map((c) => (c.type === "text" ? { ...c, text: untag(c.text) } : c))).toEqual([
      { type: "text", text: "Hello from an." },
    ]);
    const entries = await journal(plan.id);
    expect(entries.map((e) => [e.attempt, e.status, e.headers["x-stainless-retry-count"]])).toEqual([
      [1, 529, "0"],
      [2, 429, "1"],
      [3, 200, "2"],
    ]);
    for (let i = 1; i < entries.length; i++) {
      const gap = entries[i]!.receivedAt - entries[i - 1]!.receivedAt;
      expect(gap).toBeGreaterThanOrEqual(waitMs - TIMER_SLACK_MS);
      expect(gap).toBeLessThan(900);
    }
  });

  it("does not retry a 400", async () => {
    const plan = await newPlan(["context_length", "ok"]);
    const err = await failure(ask(client(2), plan.marker));
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((await journal(plan.id)).length).toBe(1);
  });

  it("raises a mid-stream `event: error` from the stream iterator", async () => {
    const plan = await newPlan([{ step: "stream_error", afterChunks: 4, kind: "overloaded" }]);
    const stream = await client(0).messages.create({
      model: MODEL,
      max_tokens: 64,
      stream: true,
      messages: [{ role: "user", content: `hi ${plan.marker}` }],
    });
    const seen: string[] = [];
    const err = await failure(
      (async () => {
        for await (const ev of stream) seen.push(ev.type);
      })(),
    );
    // src/core/streaming.ts: an `error` event becomes APIError (no status: the 200 was already sent).
    expect(err).toBeInstanceOf(Anthropic.APIError);
    const e = err as AnthropicError;
    expect(e.status).toBeUndefined();
    expect(e.type).toBe("overloaded_error");
    expect(e.error).toEqual({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } });
    // The SDK swallows `ping`, so four events sent show as three.
    expect(seen).toEqual(["message_start", "content_block_start", "content_block_delta"]);
  });

  it("reassembles a successful stream", async () => {
    const text = "Faultline streams this, word by word.";
    const plan = await newPlan([{ step: "ok", text }]);
    const stream = client(0).messages.stream({
      model: MODEL,
      max_tokens: 64,
      messages: [{ role: "user", content: `hi ${plan.marker}` }],
    });
    const final = await stream.finalMessage();
    expect(final.content).toEqual([{ type: "text", text }]);
    expect(final.stop_reason).toBe("end_turn");
    expect(final.usage.output_tokens).toBe(6);
  });
});
