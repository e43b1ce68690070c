import { defineCheck } from "./registry.ts";
import { attemptsSummary, okTexts } from "./upstream.ts";
import { completionText, describeResponse, endedNormally, is2xx, show } from "./util.ts";

function isDone(data: string): boolean {
  return data.trim() === "[DONE]";
}

function isErrorEvent(e: { event?: string; data: string }): boolean {
  if (e.event === "error") return true;
  try {
    const d = JSON.parse(e.data) as Record<string, unknown>;
    return (typeof d.error === "object" && d.error !== null) || d.type === "error" || d.success === false;
  } catch {
    return false;
  }
}

defineCheck({
  id: "STR-001",
  level: "should",
  title: "Streams fail over before the first byte",
  sentence: "Failover works before the first byte of a stream.",
  source: "docs/contract.md §15 Streams",
  fix: "Hold the client's stream until an upstream stream has produced its first event; fail over until then.",
  applies: (j) => j.case.condition === "upstream.stream_failover",
  judge({ exchange: ex, profile: p }) {
    const texts = okTexts(ex.journal);
    const text = completionText(ex, p);
    const done = endedNormally(ex, p);
    if (is2xx(ex.status) && ex.events && done && text !== undefined && texts.includes(text)) return undefined;
    return {
      expected: `a 2xx stream carrying ${texts.map((t) => JSON.stringify(t)).join(" or ") || "a later provider's completion"} and ending normally`,
      received: `${describeResponse(ex)} — attempts: ${attemptsSummary(ex.journal)}`,
    };
  },
});

defineCheck({
  id: "STR-002",
  level: "should",
  title: "A broken upstream stream ends with an error event",
  sentence:
    "A broken upstream stream ends with an error event in the gateway's dialect, never with a normal terminator.",
  source: "docs/contract.md §15 Streams",
  fix: "When the upstream stream breaks after the first byte, send an error event and close without [DONE].",
  applies: (j) =>
    j.case.condition === "upstream.stream_break" && is2xx(j.exchange.status) && !!j.exchange.events,
  judge({ exchange: ex, profile: p }) {
    const events = ex.events!;
    if (endedNormally(ex, p)) {
      return {
        expected: "an error event and no [DONE]",
        received: "the stream ended with [DONE] although every upstream stream broke",
      };
    }
    const last = events[events.length - 1];
    return last && isErrorEvent(last)
      ? undefined
      : {
          expected: "an error event as the last event",
          received: last ? `last event ${show(last.data)}` : "no events",
        };
  },
});

defineCheck({
  id: "STR-003",
  level: "should",
  title: "Streams are well-formed SSE",
  sentence:
    "A 2xx stream is text/event-stream whose data frames are JSON or the terminator, ending on a frame boundary.",
  source: "docs/contract.md §15 Streams; WHATWG HTML §9.2 Server-sent events",
  fix: "Write every event as `data: <json>\\n\\n` and flush on frame boundaries.",
  applies: (j) =>
    j.case.condition.startsWith("upstream.stream") && is2xx(j.exchange.status) && !!j.exchange.events,
  judge({ exchange: ex }) {
    for (const e of ex.events!) {
      if (isDone(e.data)) continue;
      try {
        JSON.parse(e.data);
      } catch {
        return { expected: "JSON data frames", received: `data: ${show(e.data)}` };
      }
    }
    if (!ex.raw.replace(/\r\n/g, "\n").endsWith("\n\n")) {
      return { expected: "a stream that ends on a frame boundary", received: `…${show(ex.raw.slice(-60))}` };
    }
    return undefined;
  },
});
