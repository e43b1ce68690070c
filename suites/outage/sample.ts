import { randomBytes } from "node:crypto";
import type { Exchange, RequestSpec } from "../harness/types.ts";

/**
 * What one client request of an outage run produced, whichever engine sent it. Plain JSON: Artillery's
 * workers post it to the collector, the built-in driver hands it over directly.
 */
export interface Sample {
  /** The request's marker (see `markerText`): ties it to the mock's journal. */
  id: string;
  /** Epoch milliseconds when the request went out. */
  sentAt: number;
  elapsedMs: number;
  status?: number;
  headers: Record<string, string>;
  /** The answer's text, capped (`MAX_SAMPLE_BODY`). */
  raw: string;
  error?: { code: string; message: string };
  timedOut: boolean;
}

/** Enough of an answer to judge its envelope; a completion is much shorter. */
export const MAX_SAMPLE_BODY = 16 * 1024;

/**
 * The text each request carries in its prompt. It is not a plan marker (`faultline:<id>`): the mock must
 * treat these requests as unplanned, so the scenario decides what they get; the journal keeps the body,
 * which is how attempts are tied back to the request.
 */
export const MARKER_PREFIX = "fl-outage:";
const MARKER = /fl-outage:([A-Za-z0-9._-]{1,80})/;

export function markerText(id: string): string {
  return `${MARKER_PREFIX}${id}`;
}

export function markerIn(text: string): string | undefined {
  return MARKER.exec(text)?.[1];
}

/** A short random run id, so two runs against one mock never mix their requests. */
export function newRunId(): string {
  return randomBytes(4).toString("hex");
}

/** The request a sample was: the run's template with its marker in place of the slot. */
export const MARKER_SLOT = "{{faultline.outage}}";

export function requestFor(template: RequestSpec, id: string): RequestSpec {
  return { ...template, body: template.body?.split(MARKER_SLOT).join(markerText(id)) };
}

/** The sample as the harness's Exchange, parsed the way `send` parses answers. */
export function exchangeOf(s: Sample, url: string, request: RequestSpec): Exchange {
  const ex: Exchange = {
    url,
    request,
    status: s.status,
    headers: s.headers,
    raw: s.raw,
    error: s.error,
    timedOut: s.timedOut,
    elapsedMs: s.elapsedMs,
  };
  if (s.raw && !(s.headers["content-type"] ?? "").includes("text/event-stream")) {
    try {
      ex.json = JSON.parse(s.raw);
    } catch {
      ex.json = undefined;
    }
  }
  return ex;
}
