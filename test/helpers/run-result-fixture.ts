import type { RunResult, ViolationRecord } from "../../suites/harness/result.ts";
import { resolveTarget, type Target } from "../../suites/target.ts";

// A finished run, built by hand: fixed seed, times and durations, every check outcome, and violations
// carrying what a hostile gateway could send (terminal escapes, NUL, a carriage return, a bidi override,
// the client's own key). The report snapshots are rendered from it.

export const SECRET = "sk-fixture-secret-0123456789";

export const FIXTURE_TARGET: Target = resolveTarget(
  {
    gateway: "http://127.0.0.1:8080",
    mock: "http://127.0.0.1:9090",
    apiKey: SECRET,
    model: "faultline-chat",
  },
  {},
);

/** ESC [2J clears the screen, ESC [1;31m turns it red, NUL ends C strings, \r rewrites the line, U+202E flips it. */
export const HOSTILE = "\u001b[2J\u001b[1;31mPWNED\u0000 over\rwritten \u202eevil\u001b]0;title\u0007";

const hostileViolation: ViolationRecord = {
  checkId: "ENV-001",
  property: "blackbox.auth",
  expected: "a JSON error envelope with a string code",
  received: `200 with body "${HOSTILE}" and the key ${SECRET}`,
  case: {
    property: "blackbox.auth",
    condition: "auth.invalid",
    note: `header\r\nx-injected: 1`,
    request: {
      method: "POST",
      path: "/v1/chat/completions",
      headers: { "content-type": "application/json", authorization: `Bearer ${SECRET}` },
      body: `{"model":"faultline-chat","messages":[{"role":"user","content":"${HOSTILE.replace(/[\u0000-\u001f]/g, "")}"}]}`,
    },
  },
  exchange: {
    url: "http://127.0.0.1:8080/v1/chat/completions",
    status: 200,
    headers: { "content-type": "text/plain", "x-echo": `${HOSTILE}` },
    raw: `${HOSTILE} ${SECRET}`,
    elapsedMs: 12,
    timedOut: false,
  },
  journal: [],
  seed: 1234,
  path: "3",
  shrunk: false,
};

const failoverViolation: ViolationRecord = {
  checkId: "FO-001",
  property: "upstream.failover",
  expected: "2xx with the completion of beta",
  received: "502 UPSTREAM_ERROR after alpha failed",
  case: {
    property: "upstream.failover",
    condition: "upstream.failover",
    request: {
      method: "POST",
      path: "/v1/chat/completions",
      headers: { "content-type": "application/json", authorization: `Bearer ${SECRET}` },
      body: '{"model":"faultline-chat","messages":[{"role":"user","content":"hi {{faultline.marker}}"}]}',
    },
    plan: { providers: { alpha: ["server_error"], beta: ["ok"] } },
  },
  exchange: {
    url: "http://127.0.0.1:8080/v1/chat/completions",
    status: 502,
    headers: { "content-type": "application/json" },
    raw: '{"error":{"code":"UPSTREAM_ERROR","message":"bad gateway"}}',
    elapsedMs: 40,
    timedOut: false,
  },
  journal: [
    { provider: "alpha", attempt: 1, step: "server_error", status: 500, receivedAt: 1_767_323_045_700 },
  ],
  seed: 5678,
  path: "0:1",
  shrunk: true,
};

const base = { evaluated: 0, inconclusive: 0, violations: [] as ViolationRecord[] };

export const FIXTURE_RESULT: RunResult = {
  seed: 424242,
  startedAt: "2026-01-02T03:04:05.678Z",
  durationMs: 12_345,
  properties: [
    {
      id: "blackbox.auth",
      suite: "blackbox",
      title: "auth",
      seed: 1234,
      requested: 25,
      executed: 25,
      inconclusive: 0,
      status: "failed",
      durationMs: 900,
    },
    {
      id: "upstream.failover",
      suite: "upstream",
      title: "failover",
      seed: 5678,
      requested: 40,
      coverageCases: 15,
      executed: 40,
      inconclusive: 2,
      status: "failed",
      durationMs: 4_000,
    },
    {
      id: "streams.break",
      suite: "streams",
      title: "stream breaks",
      seed: 91,
      requested: 25,
      executed: 7,
      inconclusive: 0,
      status: "incomplete",
      reason: `stopped by its time budget (60000 ms, --property-budget-ms) after 7 of 25 cases ${HOSTILE}`,
      durationMs: 60_000,
    },
    {
      id: "tasks.submit",
      suite: "tasks",
      title: "async tasks",
      seed: 7,
      requested: 25,
      executed: 0,
      inconclusive: 0,
      status: "skipped",
      reason: "the profile declares no tasks endpoint",
      durationMs: 0,
    },
  ],
  checks: [
    {
      ...base,
      id: "ENV-001",
      level: "must",
      title: "Errors use the declared envelope",
      sentence: "Every non-2xx response is JSON of the profile's envelope.",
      source: "docs/contract.md §1",
      fix: "Answer every error with the envelope.",
      outcome: "fail",
      evaluated: 25,
      violations: [hostileViolation],
    },
    {
      ...base,
      id: "FO-001",
      level: "must",
      title: "Failover to a later provider",
      sentence: "When an earlier provider fails retryably and a later one answers, the gateway answers 2xx.",
      source: "docs/contract.md §6",
      fix: "Try the next provider on a retryable failure.",
      outcome: "fail",
      evaluated: 38,
      inconclusive: 2,
      violations: [failoverViolation],
    },
    {
      ...base,
      id: "REJ-001",
      level: "must",
      title: "Auth conditions are rejected",
      sentence: "No auth.* condition yields 2xx.",
      source: "docs/contract.md §3",
      fix: "Reject requests without a valid key.",
      outcome: "pass",
      evaluated: 25,
    },
    {
      ...base,
      id: "STR-003",
      level: "should",
      title: "A broken stream ends with an error event",
      sentence: "A stream that breaks upstream ends with an error event.",
      source: "docs/contract.md §15",
      fix: "Send an error event before closing.",
      outcome: "inconclusive",
      inconclusive: 3,
      reason: "the gateway answered from its own state (a circuit breaker?)",
    },
    {
      ...base,
      id: "RA-002",
      level: "should",
      title: "Retry-After agrees with retry_after",
      sentence: "A body field that repeats Retry-After agrees with the header.",
      source: "RFC 9110 §10.2.3",
      fix: "Write the same number in both.",
      outcome: "not_exercised",
      reason: "upstream.exhausted: no 429 was answered",
    },
    {
      ...base,
      id: "IDEM-001",
      level: "must",
      title: "Idempotent replay",
      sentence: "Repeating a request with the same key answers the same.",
      source: "docs/contract.md §14",
      fix: "Store answers by idempotency key.",
      outcome: "not_declared",
      reason: "the profile declares no idempotency",
    },
    {
      ...base,
      id: "LEAK-002",
      level: "info",
      title: "No mock host in answers",
      sentence: "No response carries the mock's host and port.",
      source: "docs/contract.md §12",
      fix: "Do not echo upstream URLs.",
      outcome: "not_selected",
      reason: "left out by --only",
    },
  ],
  preflight: {
    families: [{ family: "default", path: "/v1/chat/completions", status: 200, providers: ["alpha"] }],
    order: ["alpha", "beta", "gamma"],
    notes: [],
  },
  coverage: {
    steps: ["ok", "server_error", "hang"],
    entries: [
      {
        step: "server_error",
        condition: "upstream.failover",
        stream: false,
        phase: "coverage",
        pass: 3,
        fail: 1,
        inconclusive: 0,
        notReached: 0,
        failed: ["FO-001"],
      },
      {
        step: "ok",
        condition: "upstream.failover",
        stream: true,
        phase: "random",
        pass: 10,
        fail: 0,
        inconclusive: 0,
        notReached: 2,
        failed: [],
      },
    ],
  },
};

/** Freezes a value all the way down: a formatter that writes into the result then throws. */
export function deepFreeze<T>(v: T): T {
  if (v && typeof v === "object" && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}
