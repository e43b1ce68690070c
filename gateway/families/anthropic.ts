import {
  bool,
  check,
  checkOptional,
  invalid,
  isObject,
  positiveInt,
  type Rule,
  range,
  show,
  stringList,
  type Validation,
} from "../validate.ts";
import { type ClientCodec, firstChoice, textOf, usageOf } from "./types.ts";

// The Messages API as docs.claude.com/en/api/messages documents it: `max_tokens` and `messages` are
// required, `temperature` is 0..1 (not OpenAI's 0..2), roles alternate between user and assistant, and
// `system` is a top-level string or list of text blocks rather than a message.
const ROLES = new Set(["user", "assistant"]);

const OPTIONAL: Record<string, Rule> = {
  temperature: range(0, 1),
  top_p: range(0, 1),
  top_k: (v) =>
    Number.isInteger(v) && (v as number) >= 0
      ? undefined
      : { message: `expected an integer ≥ 0, saw ${show(v)}`, bound: Number.isInteger(v) },
  stream: bool,
  stop_sequences: stringList,
};

/** A string, or a list of text blocks, as plain text; undefined when it is neither. */
function blocksText(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (!Array.isArray(v)) return undefined;
  let text = "";
  for (const b of v) {
    if (!isObject(b) || b.type !== "text" || typeof b.text !== "string") return undefined;
    text += b.text;
  }
  return text;
}

function toMessages(v: unknown): Validation | Array<{ role: string; content: string }> {
  if (!Array.isArray(v) || v.length === 0)
    return invalid("messages", `expected a non-empty array, saw ${show(v)}`);
  const out: Array<{ role: string; content: string }> = [];
  for (const [i, m] of v.entries()) {
    const at = `messages.${i}`;
    if (!isObject(m)) return invalid(at, "expected an object");
    if (typeof m.role !== "string" || !ROLES.has(m.role)) {
      return invalid(`${at}.role`, `expected one of user, assistant, saw ${show(m.role)}`);
    }
    const content = blocksText(m.content);
    if (content === undefined) {
      return invalid(`${at}.content`, `expected a string or a list of text blocks, saw ${show(m.content)}`);
    }
    out.push({ role: m.role, content });
  }
  return out;
}

/** Validates a Messages API request and translates it into an OpenAI chat body. */
export function validateMessages(body: unknown): Validation {
  if (!isObject(body)) return invalid(undefined, "Request body must be a JSON object");
  if (typeof body.model !== "string" || body.model === "") {
    return invalid("model", `expected a non-empty string, saw ${show(body.model)}`);
  }
  if (!("max_tokens" in body)) return invalid("max_tokens", "Field required");
  const tokens = check(positiveInt, body.max_tokens, "max_tokens");
  if (tokens) return tokens;
  const messages = toMessages(body.messages);
  if (!Array.isArray(messages)) return messages;
  const bad = checkOptional(body, OPTIONAL);
  if (bad) return bad;
  const system = body.system === undefined ? undefined : blocksText(body.system);
  if (body.system !== undefined && system === undefined) {
    return invalid("system", `expected a string or a list of text blocks, saw ${show(body.system)}`);
  }
  const chat: Record<string, unknown> = {
    model: body.model,
    messages: system === undefined ? messages : [{ role: "system", content: system }, ...messages],
    max_tokens: body.max_tokens,
  };
  if (body.temperature !== undefined) chat.temperature = body.temperature;
  if (body.top_p !== undefined) chat.top_p = body.top_p;
  if (body.stop_sequences !== undefined) chat.stop = body.stop_sequences;
  if (body.stream === true) chat.stream = true;
  return { ok: true, request: { model: body.model, stream: body.stream === true, body: chat } };
}

// OpenAI finish_reason → Anthropic stop_reason (docs.claude.com/en/api/handling-stop-reasons).
const STOP: Record<string, string> = {
  stop: "end_turn",
  length: "max_tokens",
  tool_calls: "tool_use",
  content_filter: "refusal",
};
const stopReason = (f: unknown) => (typeof f === "string" ? (STOP[f] ?? "end_turn") : "end_turn");

function frame(type: string, data: Record<string, unknown>): string {
  // Every event is named: @anthropic-ai/sdk skips unnamed events (src/core/streaming.ts, fromSSEResponse).
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

export const anthropicCodec: ClientCodec = {
  dialect: "anthropic",
  chatPaths: (template) => [{ template }],
  toChat: (body) => validateMessages(body),
  fromCompletion(c, model, id) {
    const choice = firstChoice(c);
    const usage = usageOf(c);
    return {
      id: `msg_${id}`,
      type: "message",
      role: "assistant",
      model,
      content: [{ type: "text", text: textOf(choice.message?.content) }],
      stop_reason: stopReason(choice.finish_reason),
      stop_sequence: null,
      usage: { input_tokens: usage.prompt, output_tokens: usage.completion },
    };
  },
  encoder(model, id) {
    let finish: unknown;
    let outputTokens = 0;
    return {
      open: () =>
        frame("message_start", {
          message: {
            id: `msg_${id}`,
            type: "message",
            role: "assistant",
            model,
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: 0, output_tokens: 0 },
          },
        }) + frame("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
      chunk(c) {
        const choice = firstChoice(c);
        // Kept for close(): the stop reason only counts once the provider's stream has really ended.
        if (choice.finish_reason) finish = choice.finish_reason;
        const text = textOf(choice.delta?.content);
        if (!text) return "";
        outputTokens++;
        return frame("content_block_delta", { index: 0, delta: { type: "text_delta", text } });
      },
      close: () =>
        frame("content_block_stop", { index: 0 }) +
        frame("message_delta", {
          delta: { stop_reason: stopReason(finish), stop_sequence: null },
          usage: { output_tokens: outputTokens },
        }) +
        frame("message_stop", {}),
      // docs.claude.com streaming, "Error events": `event: error` carrying the usual error envelope.
      error: (body) => `event: error\ndata: ${JSON.stringify(body)}\n\n`,
    };
  },
  models: (ids) => ({
    data: ids.map((id) => ({ type: "model", id, display_name: id, created_at: "2025-01-01T00:00:00Z" })),
    has_more: false,
    first_id: ids[0] ?? null,
    last_id: ids.at(-1) ?? null,
  }),
  // @anthropic-ai/sdk sends its key as x-api-key (or Authorization: Bearer with `authToken`).
  altAuth: [{ header: "x-api-key", scheme: "raw" }],
};
