import type { DialectId, Reply } from "../types.ts";
import type { Dialect, DialectContext } from "./types.ts";
import { sse } from "./types.ts";

// A refusal behind a 200: the provider answers "OK" and the body carries no completion. Each dialect's
// native form, where it has one (docs/contract.md §29):
// - Gemini: "If set, the prompt was blocked and no candidates are returned" (ai.google.dev/api/generate-content,
//   GenerateContentResponse.promptFeedback.blockReason). A recorded stream of it is one event,
//   `{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"},"usageMetadata":{…}}` (vercel/ai#19758).
// - OpenAI: the API refuses a flagged prompt with a 400 (the `content_policy` step); the 200 form is the
//   one its schema allows, `finish_reason: "content_filter"` ("if content was omitted due to a flag from
//   our content filters", API reference, chat completion object), with no content: what Azure OpenAI and
//   OpenAI-compatible providers answer when their filter takes the whole answer.
// - Anthropic: `stop_reason: "refusal"` with no content ("Handling stop reasons": Claude's safety
//   classifiers refused to answer), a 200 like any other message.

/** Gemini's documented block reasons (BlockReason enum). */
export const BLOCK_REASONS = ["SAFETY", "OTHER", "BLOCKLIST", "PROHIBITED_CONTENT", "IMAGE_SAFETY"] as const;
export type BlockReason = (typeof BLOCK_REASONS)[number];

type Blocked = (ctx: DialectContext, d: Dialect, reason: BlockReason) => Reply;

function openai(ctx: DialectContext, d: Dialect): Reply {
  const head = { id: `chatcmpl-${ctx.requestId}`, created: ctx.nowS, model: ctx.model };
  const headers = { ...d.baseHeaders(ctx), "content-type": "application/json" };
  if (!ctx.stream) {
    const body = {
      ...head,
      object: "chat.completion",
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: null, refusal: null },
          finish_reason: "content_filter",
          logprobs: null,
        },
      ],
      usage: { prompt_tokens: 9, completion_tokens: 0, total_tokens: 9 },
      system_fingerprint: "fp_faultline",
    };
    return { status: 200, headers, body: JSON.stringify(body) };
  }
  const chunk = {
    ...head,
    object: "chat.completion.chunk",
    system_fingerprint: "fp_faultline",
    choices: [{ index: 0, delta: { role: "assistant" }, logprobs: null, finish_reason: "content_filter" }],
  };
  return streamed(headers, [sse(JSON.stringify(chunk)), sse("[DONE]")]);
}

function anthropic(ctx: DialectContext, d: Dialect): Reply {
  const message = {
    id: `msg_${ctx.requestId}`,
    type: "message",
    role: "assistant",
    model: ctx.model,
    content: [],
    stop_reason: "refusal",
    stop_sequence: null,
    usage: { input_tokens: 9, output_tokens: 0 },
  };
  const headers = { ...d.baseHeaders(ctx), "content-type": "application/json" };
  if (!ctx.stream) return { status: 200, headers, body: JSON.stringify(message) };
  const event = (type: string, data: Record<string, unknown>) => sse(JSON.stringify({ type, ...data }), type);
  return streamed(headers, [
    event("message_start", { message: { ...message, stop_reason: null } }),
    event("message_delta", {
      delta: { stop_reason: "refusal", stop_sequence: null },
      usage: { output_tokens: 0 },
    }),
    event("message_stop", {}),
  ]);
}

function gemini(ctx: DialectContext, d: Dialect, reason: BlockReason): Reply {
  const body = {
    promptFeedback: {
      blockReason: reason,
      ...(reason === "SAFETY"
        ? {
            safetyRatings: [
              { category: "HARM_CATEGORY_DANGEROUS_CONTENT", probability: "HIGH", blocked: true },
            ],
          }
        : {}),
    },
    usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 },
    modelVersion: ctx.model,
    responseId: ctx.requestId,
  };
  const headers = { ...d.baseHeaders(ctx), "content-type": "application/json; charset=UTF-8" };
  if (!ctx.stream) return { status: 200, headers, body: `${JSON.stringify(body, null, 2)}\n` };
  return streamed(headers, [`data: ${JSON.stringify(body)}\r\n\r\n`]);
}

function streamed(headers: Record<string, string>, events: string[]): Reply {
  return {
    status: 200,
    headers: { ...headers, "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" },
    chunks: events.map((data) => ({ data })),
  };
}

const BLOCKED: Partial<Record<DialectId, Blocked>> = { openai, anthropic, gemini };

/**
 * A blocked prompt answered 200 without a completion, in the provider's dialect; a dialect with no such
 * form (a user's own) answers its content-policy refusal instead.
 */
export function promptBlocked(ctx: DialectContext, d: Dialect, reason: BlockReason = "SAFETY"): Reply {
  const own = BLOCKED[d.id];
  return own ? own(ctx, d, reason) : d.error("content_policy", ctx);
}
