import type { JournalEntry } from "../../mocks/journal.ts";
import type { CoverageLabel } from "./coverage.ts";
import type { Scenario, StepExchange } from "./scenario-case.ts";

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
  note?: string;
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
}
