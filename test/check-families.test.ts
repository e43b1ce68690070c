// The check families of docs/contract.md §18, §19, §23–§26: each judged on hand-made exchanges (what it
// flags and what it must leave alone), then against the gateway that breaks it and the reference gateway.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadProfile } from "../core/profile/load.ts";
import type { Profile } from "../core/profile/schema.ts";
import { fingerprint } from "../core/redact.ts";
import { CHECK_MUTATIONS } from "../gateway/mutants/index.ts";
import { REFERENCE_POLICY } from "../gateway/policy.ts";
import type { JournalEntry } from "../mocks/journal.ts";
import { runHarness } from "../scripts/cli/run.ts";
import { check } from "../suites/checks/index.ts";
import type { Judgement } from "../suites/checks/registry.ts";
import { checkResults, newTally } from "../suites/harness/outcomes.ts";
import type { CaseSpec, Exchange, SseEvent } from "../suites/harness/types.ts";
import type { Target } from "../suites/target.ts";

const KEY = "fl-client-key-0123456789";
const target: Target = {
  gateway: "http://127.0.0.1:8080",
  mock: "http://127.0.0.1:4010",
  apiKey: KEY,
  model: "faultline-chat",
  headers: {},
  deadlineMs: 5_000,
};
const lumenfall = loadProfile("lumenfall");

function entry(
  provider: string,
  step: Record<string, unknown>,
  extra: Partial<JournalEntry> = {},
): JournalEntry {
  return {
    seq: 1,
    provider,
    dialect: "openai",
    attempt: 1,
    method: "POST",
    path: "/v1/chat/completions",
    query: "",
    headers: { authorization: "Bearer [redacted sha256:00000000]" },
    body: "{}",
    bodyTruncated: false,
    step: { step: "ok", ...step },
    receivedAt: 1_000,
    ...extra,
  };
}

function judgement(
  o: {
    condition?: string;
    status?: number;
    json?: unknown;
    raw?: string;
    events?: SseEvent[];
    journal?: JournalEntry[];
    body?: string;
    path?: string;
    elapsedMs?: number;
    timedOut?: boolean;
    headers?: Record<string, string>;
  },
  profile: Profile = lumenfall,
): Judgement {
  const request = {
    method: "POST",
    path: o.path ?? "/v1/chat/completions",
    headers: { authorization: `Bearer ${KEY}` },
    body: o.body ?? JSON.stringify({ model: "faultline-chat", messages: [{ role: "user", content: "hi" }] }),
  };
  const c: CaseSpec = { property: "test", condition: o.condition ?? "upstream.exhausted", request };
  const exchange: Exchange = {
    url: target.gateway + request.path,
    request,
    status: o.status,
    headers: o.headers ?? {},
    raw: o.raw ?? (o.json !== undefined ? JSON.stringify(o.json) : ""),
    json: o.json,
    events: o.events,
    timedOut: o.timedOut ?? false,
    elapsedMs: o.elapsedMs ?? 50,
    planId: "p1",
    journal: o.journal,
  };
  return { profile, target, case: c, exchange };
}

const verdict = (id: string, j: Judgement) => {
  const ch = check(id);
  return ch.applies(j) ? (ch.judge(j) ? "fail" : "pass") : "n/a";
};
const errorBody = (message: string) => ({ error: { message, type: "server_error", code: "X" } });

describe("CRED-001: the client's credential never reaches a provider", () => {
  it("fails when the journal shows the client key's fingerprint or the raw key, passes on the gateway's own", () => {
    const own = [entry("alpha", {})];
    const fp = [
      entry("alpha", {}, { headers: { authorization: `Bearer [redacted sha256:${fingerprint(KEY)}]` } }),
    ];
    const raw = [entry("alpha", {}, { headers: { "x-forwarded-client": KEY } })];
    expect(verdict("CRED-001", judgement({ status: 200, journal: own }))).toBe("pass");
    expect(verdict("CRED-001", judgement({ status: 200, journal: fp }))).toBe("fail");
    expect(verdict("CRED-001", judgement({ status: 200, journal: raw }))).toBe("fail");
    const f = check("CRED-001").judge(judgement({ status: 200, journal: raw }))!;
    expect(f.received).not.toContain(KEY);
  });
});

describe("BILL-001: no upstream attempt before a client-side refusal", () => {
  const body = JSON.stringify({ messages: [{ role: "user", content: "hi faultline:p1" }] });
  it("fails when a refused request reached a provider, passes when none did", () => {
    const j = (journal: JournalEntry[]) =>
      judgement({ condition: "balance.insufficient", status: 402, body, journal });
    expect(verdict("BILL-001", j([]))).toBe("pass");
    expect(verdict("BILL-001", j([entry("alpha", {})]))).toBe("fail");
  });
  it("judges only refusals whose request carried the plan's marker", () => {
    const noMarker = judgement({ condition: "request.invalid", status: 400, journal: [entry("alpha", {})] });
    expect(verdict("BILL-001", noMarker)).toBe("n/a");
    const accepted = judgement({ condition: "request.invalid", status: 200, body, journal: [] });
    expect(verdict("BILL-001", accepted)).toBe("n/a");
    const route = judgement({ condition: "route.unknown", status: 404, body, journal: [] });
    expect(verdict("BILL-001", route)).toBe("n/a");
  });
});

describe("AMP-001 and RA-003: bounded amplification", () => {
  const storm = [1, 2, 3].map((n) => entry("alpha", { step: "rate_limit" }, { attempt: n, status: 429 }));
  it("fails on a third attempt at one provider, or past the profile's maxAttemptsPerRequest", () => {
    expect(verdict("AMP-001", judgement({ status: 502, journal: storm.slice(0, 2) }))).toBe("pass");
    expect(verdict("AMP-001", judgement({ status: 502, journal: storm }))).toBe("fail");
    const spread = ["alpha", "beta", "gamma"].map((p) => entry(p, {}, { status: 500 }));
    const capped = { ...lumenfall, maxAttemptsPerRequest: 2 };
    expect(verdict("AMP-001", judgement({ status: 502, journal: spread }))).toBe("pass");
    expect(verdict("AMP-001", judgement({ status: 502, journal: spread }, capped))).toBe("fail");
  });
  it("RA-003 holds a 529's and a 503's Retry-After like a 429's", () => {
    const overloaded = (status: number, gapMs: number) => [
      entry("alpha", { step: "overloaded", retryAfter: "seconds", retryAfterS: 5 }, { status }),
      entry("alpha", { step: "overloaded" }, { status, attempt: 2, receivedAt: 1_000 + gapMs }),
    ];
    expect(verdict("RA-003", judgement({ status: 502, journal: overloaded(529, 100) }))).toBe("fail");
    expect(verdict("RA-003", judgement({ status: 502, journal: overloaded(503, 100) }))).toBe("fail");
    expect(verdict("RA-003", judgement({ status: 502, journal: overloaded(529, 5_000) }))).toBe("pass");
  });
});

describe("RA-004: the gateway's Retry-After is not shorter than the providers'", () => {
  const limited = [
    entry("alpha", { step: "rate_limit", retryAfter: "seconds", retryAfterS: 30 }, { status: 429 }),
    entry("beta", { step: "overloaded", retryAfter: "http-date", retryAfterS: 120 }, { status: 529 }),
  ];
  const answer = (retryAfter: string | undefined, journal = limited) =>
    judgement({ status: 503, journal, headers: retryAfter ? { "retry-after": retryAfter } : {} });
  it("fails when it is missing, invalid or shorter; passes at the shortest, as seconds or an HTTP-date", () => {
    expect(verdict("RA-004", answer(undefined))).toBe("fail");
    expect(verdict("RA-004", answer("soon"))).toBe("fail");
    expect(verdict("RA-004", answer("1"))).toBe("fail");
    expect(verdict("RA-004", answer("30"))).toBe("pass");
    expect(verdict("RA-004", answer(new Date(Date.now() + 31_000).toUTCString()))).toBe("pass");
  });
  it("is not judged when a provider failed for another reason than load", () => {
    const mixed = [...limited, entry("gamma", { step: "server_error" }, { status: 500 })];
    expect(verdict("RA-004", answer("1", mixed))).toBe("n/a");
  });
  it("is not declared where the profile answers every exhaustion with neither 429 nor 503", () => {
    const ra = check("RA-004");
    expect(ra.notDeclared!(lumenfall)).toMatch(/with 502 \(exhaustion\.statuses\), never 429 or 503/);
    for (const name of ["lemondata", "llmapi", "meta-envelope", "openai-compatible", "anthropic-compatible"])
      expect(ra.notDeclared!(loadProfile(name)), name).toBeUndefined();
    // A family that answers 503 is enough.
    const family = {
      ...Object.values(loadProfile("lemondata").families)[0]!,
      exhaustion: { ...lumenfall.exhaustion, statuses: [503] },
    };
    expect(ra.notDeclared!({ ...lumenfall, families: { f: family } } as Profile)).toBeUndefined();
  });
  it("a gateway that answers 429/503 against such a profile is judged all the same", () => {
    const ra = check("RA-004");
    const outcome = (evaluated: number, violations = 0) => {
      const tally = newTally();
      tally.evaluated = evaluated;
      for (let i = 0; i < violations; i++)
        tally.violations.push({ checkId: "RA-004" } as unknown as (typeof tally.violations)[number]);
      return checkResults({
        checks: [ra],
        profile: lumenfall,
        tallies: new Map([["RA-004", tally]]),
        active: new Set(["RA-004"]),
        lists: new Map(),
        properties: [],
      })[0]!.outcome;
    };
    expect(outcome(0)).toBe("not_declared");
    expect(outcome(3)).toBe("pass");
    expect(outcome(3, 1)).toBe("fail");
  });
  it("the reference gateway asks for the soonest wait its providers gave, never less than its own", () => {
    const f = (status: number, retryAfterS?: number) => ({ provider: "p", reason: "r", status, retryAfterS });
    expect(REFERENCE_POLICY.exhaustedRetryAfterS([f(429, 30), f(529, 120)], 1)).toBe(30);
    expect(REFERENCE_POLICY.exhaustedRetryAfterS([f(429, 0), f(503)], 1)).toBe(1);
    expect(REFERENCE_POLICY.exhaustedRetryAfterS([f(429, 30), f(500)], 1)).toBeUndefined();
    expect(REFERENCE_POLICY.exhaustedRetryAfterS([f(503)], 1)).toBeUndefined();
  });
});

describe("INT-001: no internal details in errors", () => {
  const flagged = [
    "boom\n    at authenticate (/srv/gw/auth.js:30:11)",
    "boom at file:///opt/gw/dist/server.mjs:12:5",
    'Traceback (most recent call last):\n  File "/usr/lib/gw.py", line 3',
    "at com.acme.Gateway.call(Gateway.java:42)",
    "cannot open /home/deploy/config.yaml",
    "cannot open C:\\gateway\\keys.json",
    "connect ECONNREFUSED 10.0.3.7:8443",
    "upstream llm-proxy.prod.internal timed out",
    "upstream http://127.0.0.1:4010/alpha/v1 failed",
  ];
  const clean = [
    "The model meta-llama/Llama-3-70b does not exist",
    "See https://docs.example.com/app/errors#rate-limit",
    "Rate limited: retry at 12:30:45",
    "All providers failed to handle the request (alpha: status 429; beta: connection failed (ECONNRESET))",
    "Unknown route GET /v1/faultline-abc",
  ];
  it.each(flagged)("flags %j", (m) => {
    expect(verdict("INT-001", judgement({ status: 502, json: errorBody(m) }))).toBe("fail");
  });
  it.each(clean)("leaves %j alone", (m) => {
    expect(verdict("INT-001", judgement({ status: 502, json: errorBody(m) }))).toBe("pass");
  });
  it("reads a stream's error events, not its completion", () => {
    const events = (text: string): SseEvent[] => [
      { data: JSON.stringify({ choices: [{ delta: { content: "see /home/me" } }] }) },
      { data: JSON.stringify(errorBody(text)) },
    ];
    expect(verdict("INT-001", judgement({ status: 200, events: events("stalled") }))).toBe("pass");
    expect(verdict("INT-001", judgement({ status: 200, events: events("at f (/app/x.js:1:2)") }))).toBe(
      "fail",
    );
  });
});

describe("STR-004 and STR-005: streams never go silent, never end normally after an error", () => {
  const stalled = [entry("alpha", { step: "stall", stallMs: 9_000, resume: false }, { status: 200 })];
  const streamed = JSON.stringify({ model: "m", messages: [], stream: true });
  const chunk = { data: JSON.stringify({ choices: [{ delta: { content: "Hel" } }] }) };
  const stall = (o: Parameters<typeof judgement>[0], p?: Profile) =>
    judgement({ status: 200, body: streamed, journal: stalled, ...o }, p);
  it("STR-004 fails a stream still open at the deadline or ended without the dialect's error event", () => {
    const err = { data: JSON.stringify(errorBody("The provider's stream stalled")) };
    expect(verdict("STR-004", stall({ events: [chunk, err] }))).toBe("pass");
    expect(verdict("STR-004", stall({ events: [chunk], timedOut: true, elapsedMs: 7_000 }))).toBe("fail");
    expect(verdict("STR-004", stall({ events: [chunk, err], elapsedMs: 6_000 }))).toBe("fail");
    expect(verdict("STR-004", stall({ events: [chunk] }))).toBe("fail");
    expect(verdict("STR-004", stall({ events: [chunk, { data: '{"error":"stalled"}' }] }))).toBe("fail");
    // A later provider's complete stream is a success, not a stall.
    expect(verdict("STR-004", stall({ events: [chunk, { data: "[DONE]" }] }))).toBe("pass");
    // An error answer before the stream began is for the envelope checks.
    expect(verdict("STR-004", stall({ status: 502, json: errorBody("x"), events: undefined }))).toBe("pass");
    // Not a stream request: not judged.
    expect(verdict("STR-004", stall({ body: "{}", events: [chunk] }))).toBe("n/a");
  });
  it("STR-004 wants Anthropic's error as an `event: error` frame", () => {
    const anthropic = loadProfile("anthropic-compatible");
    const data = JSON.stringify({ type: "error", error: { type: "api_error", message: "stalled" } });
    expect(verdict("STR-004", stall({ events: [{ event: "error", data }] }, anthropic))).toBe("pass");
    expect(verdict("STR-004", stall({ events: [{ data }] }, anthropic))).toBe("fail");
  });
  it("STR-005 fails any terminator after an error event, however malformed the error", () => {
    const done = { data: "[DONE]" };
    expect(
      verdict("STR-005", judgement({ status: 200, events: [chunk, { data: '{"error":"x"}' }, done] })),
    ).toBe("fail");
    expect(
      verdict("STR-005", judgement({ status: 200, events: [chunk, { data: "error: stalled" }, done] })),
    ).toBe("fail");
    expect(verdict("STR-005", judgement({ status: 200, events: [chunk, { data: '{"error":"x"}' }] }))).toBe(
      "pass",
    );
    expect(verdict("STR-005", judgement({ status: 200, events: [chunk, done] }))).toBe("n/a");
    const anthropic = loadProfile("anthropic-compatible");
    const stop = { event: "message_stop", data: JSON.stringify({ type: "message_stop" }) };
    const err = { event: "error", data: JSON.stringify({ type: "error", error: { message: "x" } }) };
    expect(verdict("STR-005", judgement({ status: 200, events: [err, stop] }, anthropic))).toBe("fail");
  });
});

// Each check against the one-defect gateway that breaks it and the reference gateway, on the mutant's
// profile, running only the properties that exercise the check.
const dir = mkdtempSync(join(tmpdir(), "faultline-families-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.concurrent("each new check fails its mutant and passes the reference gateway", () => {
  for (const m of CHECK_MUTATIONS) {
    it(`${m.expectedCheck}: ${m.id} fails it, the reference passes it (${m.profile ?? "lumenfall"})`, async () => {
      const run = (defect: string[]) =>
        runHarness({
          profile: m.profile ?? "lumenfall",
          defect,
          seed: 7,
          runs: 6,
          quiet: true,
          strict: true,
          only: [m.expectedCheck],
          report: join(dir, `${m.id}-${defect.length ? "mutant" : "reference"}`),
          propertyBudgetMs: 20_000,
        });
      const outcome = async (defect: string[]) => {
        const r = await run(defect);
        return { c: r.result?.checks.find((c) => c.id === m.expectedCheck), output: r.output };
      };
      const bad = await outcome([m.id]);
      expect(bad.c?.outcome, bad.output).toBe("fail");
      const good = await outcome([]);
      expect(good.c?.outcome, good.output).toBe("pass");
    });
  }
});
