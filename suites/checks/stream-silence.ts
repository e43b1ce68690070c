import { getPath } from "../../core/json-path.ts";
import type { Profile } from "../../core/profile/schema.ts";
import type { DialectId } from "../../mocks/types.ts";
import { CLIENT_DIALECTS } from "../harness/dialects.ts";
import type { RequestSpec, SseEvent } from "../harness/types.ts";
import { defineCheck } from "./registry.ts";
import { attemptsSummary } from "./upstream.ts";
import { describeResponse, endedNormally, is2xx, show } from "./util.ts";

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function parse(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

/**
 * Whether an event says the stream failed, however it is written: an `error` event, an object with an
 * `error`, `type: "error"`, `success: false` or `status: "error"`, or a text frame that names an error.
 * Broad on purpose: a malformed error event followed by a normal end is still a failure hidden as a success.
 */
export function isErrorLikeEvent(e: SseEvent): boolean {
  if (e.event === "error") return true;
  const d = parse(e.data);
  if (isObject(d))
    return (
      (d.error !== undefined && d.error !== null) ||
      d.type === "error" ||
      d.success === false ||
      d.status === "error"
    );
  return d === undefined && e.data.trim() !== "[DONE]" && /\berror\b/i.test(e.data);
}

/**
 * The dialect's own mid-stream error event, the one its SDK raises: openai-node throws on a data frame with
 * an `error` object (src/core/streaming.ts); the Anthropic SDK on an `event: error` frame (streaming docs,
 * "Error events"); Google's error object for Gemini. Its message is a non-empty string.
 */
function isDialectErrorEvent(dialect: DialectId, e: SseEvent, p: Profile): boolean {
  const d = parse(e.data);
  if (!isObject(d) || !isObject(d.error)) return false;
  const message = getPath(d, p.envelope.message) ?? d.error.message;
  if (typeof message !== "string" || message.trim() === "") return false;
  return dialect !== "anthropic" || e.event === "error";
}

/** A streamed request, in any client dialect: `stream: true`, or Gemini's streaming path. */
function isStreamRequest(r: RequestSpec): boolean {
  if (/:streamGenerateContent|[?&]alt=sse/.test(r.path)) return true;
  const body = parse(r.body ?? "");
  return isObject(body) && body.stream === true;
}

/** Upstream steps that go silent after the headers or between events. */
const STALLS = new Set(["stall", "headers_then_hang"]);

defineCheck({
  id: "STR-004",
  level: "must",
  title: "A stalled stream ends within the deadline with an error event",
  sentence:
    "A stream that stalls upstream ends within the deadline with an error event in the gateway's dialect.",
  source: "docs/contract.md §26 Streams never go silent; WHATWG HTML, Server-sent events",
  fix: "Give every committed stream an idle timeout and keep the request's deadline over it; when either passes, send the dialect's error event and close.",
  // A client that hung up on purpose (§22's property) ended the stream itself.
  applies: (j) =>
    !j.case.scenario &&
    !j.exchange.clientLeft &&
    isStreamRequest(j.exchange.request) &&
    !!j.exchange.journal?.some((e) => STALLS.has(e.step.step)),
  judge({ exchange: ex, profile: p, target: t }) {
    const deadline = t.deadlineMs ?? p.deadlineMs;
    const attempts = attemptsSummary(ex.journal);
    if (ex.status === undefined || ex.timedOut || ex.error || ex.elapsedMs > deadline) {
      return {
        expected: `an answer that ends within ${deadline} ms`,
        received: ex.timedOut
          ? `${describeResponse(ex)} — still open when the harness gave up after ${ex.elapsedMs} ms; attempts: ${attempts}`
          : `${describeResponse(ex)} — ended after ${ex.elapsedMs} ms${ex.error ? ` (${ex.error.code})` : ""}; attempts: ${attempts}`,
      };
    }
    // An error answer before the stream began is the envelope checks' to judge; a normal end means a later
    // provider (or the provider itself, resumed) delivered the completion.
    if (!is2xx(ex.status) || !ex.events || endedNormally(ex, p)) return undefined;
    const dialect = p.endpoints.chat.dialect;
    const last = ex.events.at(-1);
    if (last && isDialectErrorEvent(dialect, last, p)) return undefined;
    return {
      expected: `the ${dialect} dialect's error event as the stream's last event`,
      received: last ? `last event ${last.event ? `(${last.event}) ` : ""}${show(last.data)}` : "no events",
    };
  },
});

defineCheck({
  id: "STR-005",
  level: "must",
  title: "No normal end after an error event",
  sentence: "A normal terminator never follows an error event.",
  source: "docs/contract.md §26 Streams never go silent",
  fix: "After writing a stream's error event, close the connection: no [DONE], message_stop or finishing chunk.",
  applies: (j) => is2xx(j.exchange.status) && !!j.exchange.events?.some(isErrorLikeEvent),
  judge({ exchange: ex, profile: p }) {
    const all = ex.events!;
    const d = CLIENT_DIALECTS[p.endpoints.chat.dialect];
    const first = all.findIndex(isErrorLikeEvent);
    const end = all.findIndex((e, i) => i > first && d.isTerminator(e, i, all));
    if (end < 0) return undefined;
    return {
      expected: "no normal terminator after the error event",
      received: `error event ${show(all[first]!.data)} followed by ${show(all[end]!.data)}`,
    };
  },
});
