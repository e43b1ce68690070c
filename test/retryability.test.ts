// docs/contract.md §29 piece by piece, no socket: the mock's steps, the reference gateway's reading of
// them (gateway/retryability.ts), and the checks that judge a gateway (RETRY-001, RETRY-002).
import { describe, expect, it } from "vitest";
import { failsOver, refusalBehind200, spentAnswer } from "../gateway/retryability.ts";
import { dialect } from "../mocks/dialects/index.ts";
import type { DialectContext } from "../mocks/dialects/types.ts";
import type { JournalEntry } from "../mocks/journal.ts";
import { stepDef } from "../mocks/steps.ts";
import type { DialectId } from "../mocks/types.ts";
import { check } from "../suites/checks/index.ts";
import type { Judgement } from "../suites/checks/registry.ts";

const ctx: DialectContext = {
  provider: "p",
  model: "m-1",
  stream: false,
  requestId: "abc123",
  text: "Hello from p.",
  nowS: 1_700_000_000,
};

function reply(id: DialectId, step: string, params: Record<string, unknown> = {}, stream = false) {
  const def = stepDef(step)!;
  return def.reply(
    { ...ctx, stream, dialect: dialect(id), attempt: 1, random: () => 0.5 },
    def.params.parse(params),
  );
}

/** The JSON of a reply's body, or of its first SSE event. */
function firstJson(r: ReturnType<typeof reply>): Record<string, unknown> {
  const text = r.body ?? r.chunks![0]!.data;
  const data = text.includes("data: ") ? text.slice(text.indexOf("data: ") + 6).trim() : text;
  return JSON.parse(data);
}

describe("the mock's steps", () => {
  it("shouldRetry adds x-should-retry to any error step", () => {
    expect(reply("openai", "server_error", { shouldRetry: false }).headers["x-should-retry"]).toBe("false");
    expect(reply("anthropic", "quota_exhausted", { shouldRetry: true }).headers["x-should-retry"]).toBe(
      "true",
    );
    expect(reply("gemini", "rate_limit").headers["x-should-retry"]).toBeUndefined();
  });

  it.each([
    ["openai", 429],
    ["anthropic", 429],
    ["gemini", 402],
  ] as const)("quota_exhausted on %s is a %i with no Retry-After", (id, status) => {
    const r = reply(id, "quota_exhausted");
    expect(r.status).toBe(status);
    expect(r.headers["retry-after"]).toBeUndefined();
    expect(spentAnswer(r.status, r.headers["x-should-retry"], r.body!)).toBe(true);
  });

  it.each(["openai", "anthropic", "gemini"] as const)(
    "prompt_blocked on %s is a 200 the gateway refuses",
    (id) => {
      for (const stream of [false, true]) {
        const r = reply(id, "prompt_blocked", {}, stream);
        expect(r.status).toBe(200);
        // Anthropic's refusal comes in its message_delta, after the first event: read the whole message then.
        const answer = id === "anthropic" && stream ? { stop_reason: "refusal", content: [] } : firstJson(r);
        expect(refusalBehind200(answer), `${id} stream=${stream}`).toBeDefined();
      }
    },
  );

  it("a completion, its first stream event and an ordinary rate limit are none of these", () => {
    for (const id of ["openai", "anthropic", "gemini"] as const) {
      expect(refusalBehind200(firstJson(reply(id, "ok")))).toBeUndefined();
      expect(refusalBehind200(firstJson(reply(id, "ok", {}, true)))).toBeUndefined();
    }
    const limited = reply("openai", "rate_limit");
    expect(spentAnswer(limited.status, undefined, limited.body!)).toBe(false);
  });

  it("a 402 fails over like a 401; a content-policy 400 does not", () => {
    expect([401, 402, 403, 429, 500].map(failsOver)).toEqual([true, true, true, true, true]);
    expect([400, 404, 413].map(failsOver)).toEqual([false, false, false]);
  });
});

let seq = 0;
function entry(
  provider: string,
  step: Record<string, unknown>,
  status: number,
  dialectId = "openai",
): JournalEntry {
  return {
    seq: ++seq,
    provider,
    dialect: dialectId,
    attempt: 1,
    method: "POST",
    path: "/v1/chat/completions",
    query: "",
    headers: {},
    body: "",
    bodyTruncated: false,
    step: step as JournalEntry["step"],
    receivedAt: 0,
    status,
  };
}

function judgement(journal: JournalEntry[], status: number, json?: unknown): Judgement {
  return {
    profile: { upstreamError: { code: "UPSTREAM_ERROR" }, endpoints: { chat: { dialect: "openai" } } },
    target: {},
    case: {
      property: "p",
      condition: "upstream.failover",
      request: { method: "POST", path: "/", headers: {} },
    },
    exchange: {
      url: "",
      request: { method: "POST", path: "/", headers: {} },
      status,
      headers: {},
      raw: JSON.stringify(json ?? {}),
      json,
      timedOut: false,
      elapsedMs: 5,
      journal,
    },
  } as unknown as Judgement;
}

describe("RETRY-001: a spent quota is not asked again", () => {
  const c = check("RETRY-001");
  it("fails a second attempt at the provider that said its quota is spent", () => {
    const j = judgement(
      [entry("alpha", { step: "quota_exhausted" }, 429), entry("alpha", { step: "quota_exhausted" }, 429)],
      502,
    );
    expect(c.applies(j)).toBe(true);
    expect(c.judge(j)?.expected).toContain("no attempt at alpha");
  });

  it("passes failover to another provider, and x-should-retry: false is read the same way", () => {
    const j = judgement(
      [entry("alpha", { step: "server_error", shouldRetry: false }, 500), entry("beta", { step: "ok" }, 200)],
      200,
    );
    expect(c.applies(j)).toBe(true);
    expect(c.judge(j)).toBeUndefined();
  });

  it("does not apply to an ordinary rate limit, nor to Anthropic's per-minute quota window", () => {
    expect(c.applies(judgement([entry("alpha", { step: "rate_limit" }, 429)], 502))).toBe(false);
    const window = entry("alpha", { step: "rate_limit", variant: "insufficient_quota" }, 429, "anthropic");
    expect(c.applies(judgement([window], 502))).toBe(false);
  });
});

describe("RETRY-002: a blocked prompt is not passed off as a completion", () => {
  const c = check("RETRY-002");
  const blocked = () => entry("alpha", { step: "prompt_blocked" }, 200);
  it("fails a 2xx that hands on the empty answer", () => {
    const empty = {
      choices: [{ index: 0, message: { role: "assistant", content: null }, finish_reason: "stop" }],
    };
    const j = judgement([blocked()], 200, empty);
    expect(c.applies(j)).toBe(true);
    expect(c.judge(j)?.expected).toContain("UPSTREAM_ERROR");
  });

  it("passes the upstream error, and a later provider's own completion", () => {
    expect(c.judge(judgement([blocked()], 400, { error: { code: "UPSTREAM_ERROR" } }))).toBeUndefined();
    const text = "Hello from beta.";
    const ok = {
      choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
    };
    const j = judgement([blocked(), entry("beta", { step: "ok", text }, 200)], 200, ok);
    expect(c.judge(j)).toBeUndefined();
  });

  it("passes the block relayed in the client's own dialect: it is no disguise", () => {
    const openai = {
      choices: [{ index: 0, message: { role: "assistant", content: null }, finish_reason: "content_filter" }],
    };
    const anthropic = { type: "message", content: [], stop_reason: "refusal" };
    const gemini = { promptFeedback: { blockReason: "SAFETY" } };
    const geminiCandidate = { candidates: [{ content: { parts: [] }, finishReason: "PROHIBITED_CONTENT" }] };
    for (const body of [openai, anthropic, gemini, geminiCandidate])
      expect(c.judge(judgement([blocked()], 200, body)), JSON.stringify(body)).toBeUndefined();
    // A stream counts by any of its events.
    const sse = `data: {"choices":[{"index":0,"delta":{},"finish_reason":"content_filter"}]}\n\ndata: [DONE]\n\n`;
    const j = judgement([blocked()], 200);
    expect(c.judge({ ...j, exchange: { ...j.exchange, raw: sse, json: undefined } })).toBeUndefined();
  });
});
