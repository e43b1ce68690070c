import { stepIds } from "../../mocks/steps.ts";
import type { RunContext } from "./context.ts";
import type { CaseSpec, CoverageLabel, Placement } from "./types.ts";

// The coverage phase: before any random case, every fault step the mock has is placed where it belongs,
// on each provider position, JSON and streamed, so reaching a condition is never left to chance. This is
// what Schemathesis does: its runs go through phases, a deterministic Coverage phase before Fuzzing
// (Schemathesis documentation, "Understanding Data Generation": "Schemathesis is structured as four phases
// (Examples, Coverage, Fuzzing, Stateful)").

type Step = string | { step: string; [k: string]: unknown };

/**
 * What a step is to a gateway, per request mode:
 * - `answer`: a success (possibly slow) the gateway must hand on;
 * - `retryable`: a fast failure the gateway fails over on (upstream.retryable, upstream.auth);
 * - `hang`: a failure that only an attempt timeout ends (before the first byte, or after the headers);
 * - `non_retryable`: a refusal of the prompt itself, answered without failover (docs/contract.md §8);
 * - `refusal`: a provider 4xx the contract leaves to the gateway (fail over or answer it);
 * - `stream_break`: a stream that breaks after its first byte (docs/contract.md §15, §26).
 */
export type Role = "answer" | "retryable" | "hang" | "non_retryable" | "refusal" | "stream_break";

/** A step's parameters for one coverage row; `label` names the variant in the matrix. */
export interface Variant {
  label?: string;
  params?: Record<string, unknown>;
  /** Extra variants run only where they matter most: the first provider and every provider. */
  narrow?: boolean;
}

export interface StepCoverage {
  json: Role;
  stream: Role;
  variants?: Variant[];
  /**
   * A slow answer: placed only where a later provider answers too. How long an answer may take is the
   * gateway's choice (its attempt timeout, docs/contract.md "not judged"); giving up on a slow provider
   * and asking the next one is failover, while giving up on the last one would fail a case over a timer.
   */
  slow?: boolean;
}

const same = (role: Role, variants?: Variant[]): StepCoverage => ({ json: role, stream: role, variants });
/** A stream-break step in a JSON request is a body cut short: the gateway gets no usable completion. */
const breaking = (params?: Record<string, unknown>): StepCoverage => ({
  json: "retryable",
  stream: "stream_break",
  variants: [{ params }],
});

/** Retry-After as RFC 9110 §10.2.3 allows it, small and large: a 120 s wait must not hold the answer back. */
const RETRY_AFTER: Variant[] = [
  {},
  { label: "Retry-After 120 s", params: { retryAfter: "seconds", retryAfterS: 120 } },
  { label: "Retry-After HTTP-date", params: { retryAfter: "http-date", retryAfterS: 2 }, narrow: true },
  { label: "Retry-After HTTP-date +120 s", params: { retryAfter: "http-date", retryAfterS: 120 } },
  { label: "no Retry-After", params: { retryAfter: "none" }, narrow: true },
  { label: "insufficient_quota", params: { variant: "insufficient_quota" }, narrow: true },
];
/** The provider says, beyond its status, that asking it again is pointless (openai-node and @anthropic-ai/sdk obey it). */
const SHOULD_NOT_RETRY: Variant = {
  label: "x-should-retry: false",
  params: { shouldRetry: false },
  narrow: true,
};
const WITH_RETRY_AFTER: Variant[] = [
  {},
  { label: "Retry-After 30 s", params: { retryAfter: "seconds", retryAfterS: 30 }, narrow: true },
];

/**
 * How the coverage phase uses every step of the mock's registry (mocks/steps.ts). A step registered
 * without an entry here is reported by `uncoveredSteps()` and fails test/coverage.test.ts.
 */
export const STEP_COVERAGE: Readonly<Record<string, StepCoverage>> = {
  ok: same("answer"),
  latency: { ...same("answer", [{ params: { dist: "fixed", ms: 40 } }]), slow: true },
  slow_stream: { ...same("answer", [{ params: { chunkIntervalMs: 10 } }]), slow: true },
  rate_limit: same("retryable", RETRY_AFTER),
  // An account out of money or quota: another provider may answer, this one not again (§29).
  quota_exhausted: same("retryable", [{}, SHOULD_NOT_RETRY]),
  server_error: same("retryable", [{}, SHOULD_NOT_RETRY]),
  bad_gateway: same("retryable"),
  unavailable: same("retryable", WITH_RETRY_AFTER),
  gateway_timeout: same("retryable"),
  // Anthropic's 529 where the provider speaks Anthropic; the raw 529 below covers the others.
  overloaded: same("retryable", WITH_RETRY_AFTER),
  content_policy: same("non_retryable"),
  // The provider's refusal of the prompt, told by a 200 without a completion (§29).
  prompt_blocked: same("non_retryable"),
  context_length: same("non_retryable"),
  auth: same("retryable"),
  permission: same("retryable"),
  not_found: same("refusal"),
  status: same("retryable", [
    {
      label: "502 HTML page",
      params: {
        status: 502,
        body: "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
      },
    },
    {
      label: "529 overloaded",
      params: {
        status: 529,
        body: JSON.stringify({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } }),
      },
      narrow: true,
    },
  ]),
  hang: same("hang"),
  reset: same("retryable"),
  empty: same("retryable"),
  garbage: same("retryable"),
  malformed_json: same("retryable"),
  // The silence is sized per run (stallParams): past the harness's deadline, so only the gateway's own
  // timers can end it. In JSON it is a body that stops after its first bytes.
  stall: { json: "hang", stream: "stream_break" },
  headers_then_hang: same("hang"),
  stream_cut: breaking({ afterChunks: 1 }),
  stream_reset: breaking({ afterChunks: 1 }),
  close_clean: breaking({ afterChunks: 2 }),
  stream_error: breaking({ afterChunks: 1 }),
};

/** Steps of the mock's registry that the coverage phase does not know how to place. */
export function uncoveredSteps(): string[] {
  return stepIds().filter((id) => !(id in STEP_COVERAGE));
}

/** A stall that outlasts the harness's own deadline and then ends without the stream's terminator. */
export function stallParams(ctx: RunContext): Record<string, unknown> {
  return { afterChunks: 1, resume: false, stallMs: Math.min(600_000, ctx.harnessDeadlineMs + 1_000) };
}

/** The condition a step's role produces at a placement; undefined where the placement does not apply. */
function conditionFor(
  role: Role,
  stream: boolean,
  placement: Placement,
  n: number,
  i: number,
): string | undefined {
  const later = placement !== "every" && i < n - 1;
  switch (role) {
    case "answer":
      return placement === "every" ? undefined : stream ? "upstream.stream_failover" : "upstream.failover";
    case "retryable":
    case "hang":
      if (later) return stream ? "upstream.stream_failover" : "upstream.failover";
      return role === "hang" ? "upstream.all_hang" : "upstream.exhausted";
    case "non_retryable":
      return placement === "every" ? undefined : "upstream.non_retryable";
    case "refusal":
      return placement === "every" ? undefined : "upstream.refused";
    case "stream_break":
      return stream && placement !== "every" ? "upstream.stream_break" : undefined;
  }
}

/** The property each condition's coverage cases belong to (suites/upstream.ts). */
export const PROPERTY_OF: Readonly<Record<string, string>> = {
  "upstream.failover": "upstream.failover",
  "upstream.stream_failover": "streams.failover",
  "upstream.exhausted": "upstream.exhausted",
  "upstream.all_hang": "upstream.deadline",
  "upstream.non_retryable": "upstream.non_retryable",
  "upstream.refused": "upstream.non_retryable",
  "upstream.stream_break": "streams.break",
};

/** A fast failure before the first byte: what the providers ahead of the step under test do. */
const FILLER: Step = "server_error";

/** The provider indexes a placement names, for n providers (middle only when it differs from both ends). */
function positions(n: number): Array<[Placement, number]> {
  const out: Array<[Placement, number]> = [["first", 0]];
  const mid = Math.floor((n - 1) / 2);
  if (n >= 3) out.push(["middle", mid]);
  if (n >= 2) out.push(["last", n - 1]);
  out.push(["every", 0]);
  return out;
}

function planFor(
  role: Role,
  names: string[],
  placement: Placement,
  i: number,
  step: Step,
): Record<string, Step[]> {
  return Object.fromEntries(
    names.map((name, k) => {
      if (placement === "every") return [name, [step]];
      if (k < i) return [name, [FILLER]];
      if (k === i) return [name, [step]];
      // A broken stream on every later provider too: whatever the gateway does next, it breaks again.
      return [name, [role === "stream_break" ? step : "ok"]];
    }),
  );
}

/**
 * Whether a placement earns its case. A failure on the last provider is exhaustion, which "every provider"
 * already covers; narrow variants run only on the first provider and on every one.
 */
function wanted(
  id: string,
  cov: StepCoverage,
  role: Role,
  placement: Placement,
  v: Variant,
  n: number,
  reduced: boolean,
): boolean {
  const failing = role === "retryable" || role === "hang";
  if ((failing || cov.slow) && placement === "last") return false;
  // With one provider, "first" is "every": keep one of them.
  if (failing && n === 1 && placement === "first") return false;
  if ((v.narrow || reduced) && (placement === "middle" || placement === "last")) return false;
  // Every provider hanging costs every attempt timeout: another family needs it once, not per hang step.
  if (reduced && role === "hang" && placement === "every" && id !== "hang") return false;
  return !(reduced && v.narrow);
}

export interface CoverageRequest {
  /** Builds the case's request; `index` picks a prompt shape deterministically. */
  request(ctx: RunContext, stream: boolean, index: number): CaseSpec["request"];
}

/**
 * Every coverage case of a run: each step of the registry × variant × placement × JSON or stream, for
 * the conditions its role produces. Deterministic: the same context gives the same cases.
 */
export function coverageCases(ctx: RunContext, build: CoverageRequest): CaseSpec[] {
  const names = ctx.providers;
  if (names.length === 0) return [];
  // Another endpoint family of the same gateway: its own dialect and envelope, the same failover code
  // behind it. Each step once on the first provider and on every provider is enough there.
  const reduced = ctx.family !== undefined && ctx.family !== "default";
  const out: CaseSpec[] = [];
  for (const id of stepIds()) {
    const cov = STEP_COVERAGE[id];
    if (!cov) continue;
    const variants: Variant[] = id === "stall" ? [{ params: stallParams(ctx) }] : (cov.variants ?? [{}]);
    for (const stream of [false, true]) {
      const role = stream ? cov.stream : cov.json;
      for (const v of variants) {
        const step: Step = v.params ? { step: id, ...v.params } : id;
        for (const [placement, i] of positions(names.length)) {
          if (!wanted(id, cov, role, placement, v, names.length, reduced)) continue;
          const condition = conditionFor(role, stream, placement, names.length, i);
          if (!condition) continue;
          const property = PROPERTY_OF[condition]!;
          const label: CoverageLabel = { step: id, ...(v.label ? { variant: v.label } : {}), placement };
          out.push({
            property,
            condition,
            request: build.request(ctx, stream, out.length),
            plan: { providers: planFor(role, names, placement, i, step) },
            ...(condition === "upstream.non_retryable" ? { expectStatus: [400] } : {}),
            coverage: label,
            note: `coverage: ${id}${v.label ? ` (${v.label})` : ""} on ${placement === "every" ? "every provider" : `the ${placement} provider`}${stream ? ", streamed" : ""}`,
          });
        }
      }
    }
  }
  return out;
}
