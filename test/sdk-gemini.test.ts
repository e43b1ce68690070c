// The Gemini dialect as the official @google/genai SDK sees it: ApiError status and body, what it does
// (and does not do) on a 429, streams.
import { ApiError, GoogleGenAI } from "@google/genai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JournalEntry } from "../mocks/journal.ts";
import { type MockServer, startMock } from "../mocks/server.ts";
import { MockClient } from "../suites/harness/mock-client.ts";
import { untag } from "./helpers/completion-tag.ts";

const MODEL = "gemini-2.5-flash";
let mock: MockServer;

beforeAll(async () => {
  mock = await startMock({ providers: [{ name: "ge", dialect: "gemini", models: [MODEL] }] });
});
afterAll(async () => {
  await mock?.close();
});

async function newPlan(steps: unknown[]): Promise<{ id: string; marker: string }> {
  return new MockClient(mock.url).addPlan({ providers: { ge: steps } });
}

async function journal(id: string): Promise<JournalEntry[]> {
  return new MockClient(mock.url).journal(id);
}

/**
 * `attempts` is @google/genai's only retry knob (httpOptions.retryOptions.attempts, first call
 * included). Left out, the SDK makes exactly one call: ApiClient.apiCall is a bare fetch unless
 * retryOptions is set (dist/node/index.mjs, ApiClient.apiCall).
 */
function client(attempts?: number): GoogleGenAI {
  return new GoogleGenAI({
    apiKey: "gemini-faultline-test",
    httpOptions: {
      baseUrl: mock.providerUrl("ge"),
      timeout: 3_000,
      ...(attempts === undefined ? {} : { retryOptions: { attempts } }),
    },
  });
}

function ask(c: GoogleGenAI, marker: string) {
  return c.models.generateContent({ model: MODEL, contents: `hi ${marker}` });
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => expect.fail("expected the SDK to throw"),
    (e: unknown) => e,
  );
}

interface GoogleError {
  error: { code: number; status: string; message: string; details?: Array<Record<string, unknown>> };
}

describe("@google/genai against the Gemini dialect", () => {
  // The SDK has one error class: ApiError with the HTTP status and the JSON body as its message
  // (dist/node/index.mjs, throwErrorIfNotOK). A bad key is 400 INVALID_ARGUMENT / API_KEY_INVALID.
  it.each([
    { step: "rate_limit", status: 429, code: "RESOURCE_EXHAUSTED" },
    { step: "auth", status: 400, code: "INVALID_ARGUMENT" },
    { step: "permission", status: 403, code: "PERMISSION_DENIED" },
    { step: "not_found", status: 404, code: "NOT_FOUND" },
    { step: "content_policy", status: 400, code: "INVALID_ARGUMENT" },
    { step: "context_length", status: 400, code: "INVALID_ARGUMENT" },
    { step: "server_error", status: 500, code: "INTERNAL" },
    { step: "overloaded", status: 503, code: "UNAVAILABLE" },
    { step: "gateway_timeout", status: 504, code: "DEADLINE_EXCEEDED" },
  ] as const)("$step raises ApiError $status $code", async ({ step, status, code }) => {
    const plan = await newPlan([step]);
    const err = await failure(ask(client(), plan.marker));
    expect(err).toBeInstanceOf(ApiError);
    const e = err as ApiError;
    expect(e.status).toBe(status);
    const body = JSON.parse(e.message) as GoogleError;
    expect(body.error).toMatchObject({ code: status, status: code });
    if (step === "auth") {
      expect(body.error.message).toBe("API key not valid. Please pass a valid API key.");
      expect(body.error.details?.[0]).toMatchObject({ reason: "API_KEY_INVALID" });
    }
    if (step === "not_found") expect(body.error.message).toContain(`models/${MODEL} is not found`);
  });

  it("does not retry a 429 by default, though the body carries RetryInfo", async () => {
    const plan = await newPlan([{ step: "rate_limit", retryAfterS: 1 }, "ok"]);
    const err = await failure(ask(client(), plan.marker));
    expect((err as ApiError).status).toBe(429);
    const body = JSON.parse((err as ApiError).message) as GoogleError;
    expect(body.error.details).toContainEqual({
      "@type": "type.googleapis.com/google.rpc.RetryInfo",
      retryDelay: "1s",
    });
    expect((await journal(plan.id)).length).toBe(1);
  });

  // With retryOptions the SDK retries through p-retry 4 (retry 0.13 defaults: first wait 1000 ms,
  // factor 2, no jitter) and reads neither RetryInfo nor Retry-After: a 30 s ask is retried after ~1 s.
  describe("with retryOptions {attempts: 2}", () => {
    it.concurrent("retries once after about a second, ignoring a 30 s RetryInfo and Retry-After", async () => {
      const plan = await newPlan([{ step: "rate_limit", retryAfterS: 30 }, "ok"]);
      const res = await ask(client(2), plan.marker);
      expect(untag(res.text)).toBe("Hello from ge.");
      const [first, second] = await journal(plan.id);
      expect(first?.headers["x-goog-api-key"]).toMatch(/^\[redacted/);
      const gap = second!.receivedAt - first!.receivedAt;
      expect(gap).toBeGreaterThanOrEqual(990);
      expect(gap).toBeLessThan(5_000);
    });

    it.concurrent("raises a plain Error, not ApiError, once the retries run out", async () => {
      // apiCall throws `new Error("Retryable HTTP Error: <statusText>")` inside p-retry, and that is
      // what surfaces: the status and the Google error body are lost.
      const plan = await newPlan([{ step: "rate_limit", retryAfterS: 30 }]);
      const err = await failure(ask(client(2), plan.marker));
      expect(err).not.toBeInstanceOf(ApiError);
      expect((err as Error).message).toBe("Retryable HTTP Error: Too Many Requests");
      expect((await journal(plan.id)).length).toBe(2);
    });
  });

  it("raises a mid-stream error from the stream iterator, after the first chunk", async () => {
    const plan = await newPlan([{ step: "stream_error", afterChunks: 1, kind: "overloaded" }]);
    const stream = await client().models.generateContentStream({
      model: MODEL,
      contents: `hi ${plan.marker}`,
    });
    const seen: string[] = [];
    const err = await failure(
      (async () => {
        for await (const chunk of stream) seen.push(chunk.text ?? "");
      })(),
    );
    // processStreamResponse: a network chunk that parses as JSON with `error` becomes
    // ApiError{status: error.code, message: "got status: <status>. <json>"}.
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(503);
    expect((err as ApiError).message).toMatch(/^got status: UNAVAILABLE\. /);
    expect(seen).toEqual(["Hello "]);
  });

  it("reassembles a successful stream whose last chunk says STOP", async () => {
    const text = "Faultline streams this, word by word.";
    const plan = await newPlan([{ step: "ok", text }]);
    const stream = await client().models.generateContentStream({
      model: MODEL,
      contents: `hi ${plan.marker}`,
    });
    let got = "";
    const finishes: Array<string | undefined> = [];
    for await (const chunk of stream) {
      got += chunk.text ?? "";
      finishes.push(chunk.candidates?.[0]?.finishReason);
    }
    expect(got).toBe(text);
    expect(finishes.at(-1)).toBe("STOP");
    expect(finishes.slice(0, -1).every((f) => f === undefined)).toBe(true);
    const [entry] = await journal(plan.id);
    expect(entry?.path).toBe(`/ge/v1beta/models/${MODEL}:streamGenerateContent`);
    expect(entry?.query).toBe("alt=sse");
  });
});
