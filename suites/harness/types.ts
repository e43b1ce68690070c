import type { JournalEntry } from "../../mocks/journal.ts";

// The data model the runner and the checks share: a case, what it sent, what came back. A leaf: it imports
// nothing of the harness or the checks, so both can build on it without importing each other.

/** In a request body, replaced by the plan's marker once the plan is registered with the mock. */
export const PLAN_PLACEHOLDER = "{{faultline.marker}}";

/** Replaced by a fresh random string per execution: idempotency keys and unknown task ids never collide across runs. */
export const NONCE_PLACEHOLDER = "{{faultline.nonce}}";

const REFUSED = /^(auth|request|model)\.|^balance\.insufficient$|^rate\.limited$/;

/**
 * Conditions a gateway must refuse before it asks any provider (docs/contract.md §19): the client's
 * credential, its request, its model, its balance and its rate limit. A case of one of them may carry a
 * plan, only so the journal shows whether an attempt went out; no provider is expected to be asked.
 */
export function refusedBeforeUpstream(condition: string): boolean {
  return REFUSED.test(condition);
}

export interface RequestSpec {
  method: string;
  /** Path below the gateway URL, with query. */
  path: string;
  headers: Record<string, string>;
  /** The raw body text, exactly as sent (it may be deliberately broken). */
  body?: string;
}

/** What a case sets up and what it expects; plain JSON so a case file can replay it. */
export interface CaseSpec {
  property: string;
  /** The condition this case creates (docs/contract.md), or an upstream situation. */
  condition: string;
  request: RequestSpec;
  /** Per provider, the steps its attempts get, as posted to the mock. */
  plan?: { providers: Record<string, unknown[]>; seed?: number };
  /** Codes the profile maps the condition to, when the case expects an error code. */
  expectCodes?: string[];
  /** Status the case expects, when one is fixed (e.g. the provider's status for UPSTREAM_ERROR). */
  expectStatus?: number[];
  /** The field a field-specific code must name (profile.fieldCodes). */
  expectField?: string;
  /** The endpoint family the case speaks to (`default` or a profile family). */
  family?: string;
  /** A multi-request case (idempotent replay, async tasks); `request` is then its first step's. */
  scenario?: Scenario;
  /** Set on the coverage phase's cases: the step it places, and where (harness/coverage.ts). */
  coverage?: CoverageLabel;
  /** The client hangs up mid-request (docs/contract.md §22; suites/disconnect-client.ts). */
  clientAbort?: ClientAbort;
  note?: string;
}

/**
 * When the client of a case hangs up: before any byte of the answer (once the mock's journal shows an
 * attempt in flight, or, with `trigger: "answered"`, one already answered), once the headers arrived, or
 * after the first stream event; `delayMs` later than that.
 */
export interface ClientAbort {
  at: "before_response" | "after_headers" | "after_first_event";
  trigger?: "open" | "answered";
  delayMs?: number;
}

export interface SseEvent {
  event?: string;
  data: string;
}

/** What happened to one case: the request sent, the response (or transport failure), the journal. */
export interface Exchange {
  url: string;
  request: RequestSpec;
  status?: number;
  headers: Record<string, string>;
  /** Raw response text, capped. */
  raw: string;
  json?: unknown;
  /** Parsed events when the response is text/event-stream. */
  events?: SseEvent[];
  /** Whether the SSE body ended with a parsable, complete final frame. */
  streamEndedCleanly?: boolean;
  error?: { code: string; message: string };
  /** The harness gave up at its own deadline. */
  timedOut: boolean;
  elapsedMs: number;
  planId?: string;
  journal?: JournalEntry[];
  /** Every step of a multi-request case; the exchange itself is the judged step's. */
  steps?: StepExchange[];
  /** The client hung up on purpose (`CaseSpec.clientAbort`) at `at`, then watched the journal until `watchedUntil` (epoch ms). */
  clientLeft?: { at: number; watchedUntil: number };
}

/** One request of a multi-request case. Plain JSON, so a case file can replay it. */
export interface ScenarioStep {
  name: string;
  /** May use `{{faultline.marker}}`, `{{faultline.nonce}}` and `{{capture.NAME}}` in its path, headers and body. */
  request: RequestSpec;
  /** Start this long after the previous step started, without waiting for it: the two are in flight together. */
  startAfterMs?: number;
  /** Values read from this step's JSON answer for later steps: NAME → dotted path. */
  capture?: Record<string, string>;
  /** Repeat the request until the value at `path` is one of `until`, or `timeoutMs` has passed. */
  poll?: { path: string; until: string[]; intervalMs: number; timeoutMs: number };
  /** The error shape its answers use: `tasks` for the profile's `tasks.envelope`. */
  envelope?: "tasks";
  /**
   * Its upstream work happens after its answer (a task submit): the journal's size when it answered says
   * nothing about what it caused, so none is recorded.
   */
  async?: boolean;
  /**
   * This step's own plan, for requests in flight together that each need their own (docs/contract.md §20):
   * registered before the steps start, its marker fills `{{faultline.marker}}` in this step, and its
   * journal is the step's (`StepExchange.journal`).
   */
  plan?: { providers: Record<string, unknown[]>; seed?: number };
}

export interface Scenario {
  steps: ScenarioStep[];
  /** The step whose answer the per-exchange checks (envelope, status, leaks) judge; the last that ran by default. */
  judge?: string;
}

/** What one step did. `skipped` when a value it needed was not captured (an earlier answer lacked it). */
export interface StepExchange {
  name: string;
  exchange?: Exchange;
  skipped?: string;
  /** How many attempts the mock's journal held for the plan once this step had its answer. */
  journalSize?: number;
  polls?: number;
  /** The poll ran out of time before reaching one of its `until` values. */
  pollTimedOut?: boolean;
  /** When the step started, relative to the first step (ms). */
  startedAtMs: number;
  /** With a plan of its own (`ScenarioStep.plan`): that plan, and its journal once the step had its answer. */
  planId?: string;
  journal?: JournalEntry[];
}

export type Placement = "first" | "middle" | "last" | "every";

/** Where a coverage case put its step, for the matrix and the case file. */
export interface CoverageLabel {
  step: string;
  variant?: string;
  placement: Placement;
}
