import { describe, expect, it } from "vitest";
import { loadProfile } from "../core/profile/load.ts";
import { check } from "../suites/checks/index.ts";
import type { CaseSpec, Exchange } from "../suites/harness/types.ts";
import type { Target } from "../suites/target.ts";

// envelope.codeOptional: OpenAI answers many errors with `code: null`. Such an answer is judged by its
// status alone; a code that is present must still be an expected one. Each rule is shown passing and failing.
const compatible = loadProfile("openai-compatible");
const lumenfall = loadProfile("lumenfall");
const target: Target = { gateway: "http://127.0.0.1:9", apiKey: "k", model: "m", headers: {} };

function exchange(status: number, body: unknown): Exchange {
  const raw = JSON.stringify(body);
  return {
    url: "",
    request: { method: "POST", path: "/v1/chat/completions", headers: {} },
    status,
    headers: { "content-type": "application/json" },
    raw,
    json: body,
    timedOut: false,
    elapsedMs: 1,
  };
}

const openaiError = (code: string | null, type = "invalid_request_error") => ({
  error: { message: "m", type, param: null, code },
});

function judge(id: string, profile: typeof compatible, c: Partial<CaseSpec>, ex: Exchange) {
  const j = {
    profile,
    target,
    case: { property: "p", condition: "x", request: ex.request, ...c } as CaseSpec,
    exchange: ex,
  };
  const ch = check(id);
  expect(ch.applies(j), `${id} applies`).toBe(true);
  return ch.judge(j);
}

describe("openai-compatible: a null code is judged by its status", () => {
  it("ENV-001 accepts OpenAI's null code, but not a missing message, and lumenfall still wants a code", () => {
    expect(judge("ENV-001", compatible, {}, exchange(400, openaiError(null)))).toBeUndefined();
    expect(
      judge("ENV-001", compatible, {}, exchange(400, { error: { type: "x", code: null } })),
    ).toBeDefined();
    expect(judge("ENV-001", lumenfall, {}, exchange(400, openaiError(null)))).toBeDefined();
  });

  it("COND-001 passes a null code with the expected status and fails it with another status or another code", () => {
    const c = { condition: "auth.invalid", expectCodes: ["invalid_api_key"] };
    expect(judge("COND-001", compatible, c, exchange(401, openaiError(null)))).toBeUndefined();
    expect(judge("COND-001", compatible, c, exchange(401, openaiError("invalid_api_key")))).toBeUndefined();
    expect(judge("COND-001", compatible, c, exchange(400, openaiError(null)))).toBeDefined();
    expect(judge("COND-001", compatible, c, exchange(401, openaiError("model_not_found")))).toBeDefined();
    expect(
      judge(
        "COND-001",
        lumenfall,
        { ...c, expectCodes: ["AUTHENTICATION_FAILED"] },
        exchange(401, openaiError(null)),
      ),
    ).toBeDefined();
  });

  it("EXH-001 wants some 5xx: a null code passes with 502, a passed-through 429 does not", () => {
    const c = { condition: "upstream.exhausted" };
    expect(judge("EXH-001", compatible, c, exchange(502, openaiError(null, "server_error")))).toBeUndefined();
    expect(
      judge("EXH-001", compatible, c, exchange(429, openaiError("rate_limit_exceeded", "requests"))),
    ).toBeDefined();
    expect(judge("EXH-001", compatible, c, exchange(408, openaiError(null, "timeout_error")))).toBeDefined();
  });

  it("UPS-001 accepts the provider's own code passed through with the provider's status", () => {
    const c = { condition: "upstream.non_retryable", expectStatus: [400] };
    expect(
      judge("UPS-001", compatible, c, exchange(400, openaiError("context_length_exceeded"))),
    ).toBeUndefined();
    expect(judge("UPS-001", compatible, c, exchange(400, openaiError(null)))).toBeUndefined();
    expect(judge("UPS-001", compatible, c, exchange(502, openaiError(null, "server_error")))).toBeDefined();
    expect(judge("UPS-001", compatible, c, exchange(400, openaiError("invalid_value")))).toBeDefined();
  });
});
