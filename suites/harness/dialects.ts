import type { DialectId } from "../../mocks/types.ts";
import type { Exchange, SseEvent } from "./types.ts";

/** One way to break a request body (Schemathesis-style negative data), and the field it breaks. */
export interface Breakage {
  name: string;
  /** The field a field-specific code would name; undefined for structural breakage. */
  field?: string;
  mutate(body: Record<string, unknown>): unknown;
}

/** One turn of a conversation; the last turn of a request is the user's. */
export interface Turn {
  role: "user" | "assistant";
  text: string;
}

/**
 * A chat request as the official SDKs build it, in dialect-neutral terms: a conversation, an optional
 * system prompt, and the optional fields SDKs send. Each dialect writes it in its own schema.
 */
export interface ChatShape {
  turns: Turn[];
  system?: string;
  /** The output cap: OpenAI's `max_tokens` or its newer `max_completion_tokens`, or none (not for Anthropic, which requires it). */
  maxTokens?: { field: "max_tokens" | "max_completion_tokens"; value: number } | "absent";
  /** 0..1: valid in every dialect (Anthropic's range is 0..1, OpenAI's and Gemini's 0..2). */
  temperature?: number;
  /** OpenAI's `user`, Anthropic's `metadata.user_id`. */
  user?: string;
  /** OpenAI's `stream_options: {include_usage: true}` on a stream. */
  includeUsage?: boolean;
  /** A JSON request says `stream: false` instead of leaving `stream` out. */
  streamFalse?: boolean;
}

/** What every request sent so far looked like: one user turn, a 32-token cap. */
export const simpleShape = (text: string): ChatShape => ({ turns: [{ role: "user", text }] });

const DEFAULT_MAX_TOKENS = 32;

/** The output cap a shape asks for, in `field`; nothing when it asks for none. */
function cap(s: ChatShape, field: string): Record<string, number> {
  if (s.maxTokens === "absent") return {};
  return { [field]: s.maxTokens?.value ?? DEFAULT_MAX_TOKENS };
}

/** `stream: true`, `stream: false` or nothing, as the shape and the request mode say. */
function streamField(s: ChatShape, stream: boolean): Record<string, boolean> {
  return stream ? { stream: true } : s.streamFalse ? { stream: false } : {};
}

/** How the harness speaks one client-facing dialect: paths, bodies, negative data, completions. */
export interface ClientDialect {
  path(template: string, model: string, stream: boolean): string;
  body(text: string, model: string, stream: boolean): Record<string, unknown>;
  /** A body for a richer request: conversation, system prompt, optional fields. */
  build(shape: ChatShape, model: string, stream: boolean): Record<string, unknown>;
  /** Bodies that break the endpoint's schema; boundary values sit just outside each declared range. */
  breakages: Breakage[];
  /** The completion text of a JSON answer or a reassembled stream. */
  text(ex: Exchange): string | undefined;
  /** Whether an event is the stream's normal end. */
  isTerminator(e: SseEvent, index: number, all: SseEvent[]): boolean;
}

function setter(path: string, value: unknown): (b: Record<string, unknown>) => unknown {
  return (b) => {
    const keys = path.split(".");
    let cur = b;
    for (const k of keys.slice(0, -1)) {
      if (typeof cur[k] !== "object" || cur[k] === null) cur[k] = {};
      cur = cur[k] as Record<string, unknown>;
    }
    cur[keys[keys.length - 1]!] = value;
    return b;
  };
}

function deleter(key: string): (b: Record<string, unknown>) => unknown {
  return (b) => {
    delete b[key];
    return b;
  };
}

function parse(data: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(data) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

const openai: ClientDialect = {
  path: (t) => t,
  body: (text, model, stream) => openai.build(simpleShape(text), model, stream),
  // openai-node's ChatCompletionCreateParams: messages with roles, max_tokens or max_completion_tokens,
  // temperature, user, stream and stream_options.include_usage.
  build: (s, model, stream) => ({
    model,
    messages: [
      ...(s.system !== undefined ? [{ role: "system", content: s.system }] : []),
      ...s.turns.map((t) => ({ role: t.role, content: t.text })),
    ],
    ...cap(s, s.maxTokens !== "absent" && s.maxTokens ? s.maxTokens.field : "max_tokens"),
    ...(s.temperature !== undefined ? { temperature: s.temperature } : {}),
    ...(s.user !== undefined ? { user: s.user } : {}),
    ...streamField(s, stream),
    ...(stream && s.includeUsage ? { stream_options: { include_usage: true } } : {}),
  }),
  breakages: [
    { name: "no model", mutate: deleter("model") },
    { name: "model not a string", mutate: setter("model", 42) },
    { name: "no messages", mutate: deleter("messages") },
    { name: "messages not a list", mutate: setter("messages", "hello") },
    { name: "empty messages", mutate: setter("messages", []) },
    { name: "message without role", mutate: setter("messages", [{ content: "hi" }]) },
    { name: "unknown role", mutate: setter("messages", [{ role: "wizard", content: "hi" }]) },
    { name: "content a number", mutate: setter("messages", [{ role: "user", content: 7 }]) },
    { name: "temperature just above 2", field: "temperature", mutate: setter("temperature", 2.000001) },
    { name: "temperature 2.5", field: "temperature", mutate: setter("temperature", 2.5) },
    { name: "temperature just below 0", field: "temperature", mutate: setter("temperature", -0.000001) },
    { name: "temperature a string", mutate: setter("temperature", "hot") },
    { name: "max_tokens zero", field: "max_tokens", mutate: setter("max_tokens", 0) },
    { name: "max_tokens negative", field: "max_tokens", mutate: setter("max_tokens", -5) },
    { name: "max_tokens fractional", mutate: setter("max_tokens", 1.5) },
    { name: "top_p just above 1", mutate: setter("top_p", 1.000001) },
    { name: "n zero", mutate: setter("n", 0) },
    { name: "stream not boolean", mutate: setter("stream", "yes") },
    { name: "body an array", mutate: (b) => [b] },
  ],
  text(ex) {
    if (ex.events) {
      let text = "";
      for (const e of ex.events) {
        const d = parse(e.data) as { choices?: Array<{ delta?: { content?: string } }> } | undefined;
        text += d?.choices?.[0]?.delta?.content ?? "";
      }
      return text;
    }
    const c = (ex.json as { choices?: Array<{ message?: { content?: unknown } }> } | undefined)?.choices?.[0]
      ?.message?.content;
    return typeof c === "string" ? c : undefined;
  },
  isTerminator: (e) => e.data.trim() === "[DONE]",
};

const anthropic: ClientDialect = {
  path: (t) => t,
  body: (text, model, stream) => anthropic.build(simpleShape(text), model, stream),
  // The Messages API: max_tokens is required, system is top-level, metadata.user_id names the end user.
  build: (s, model, stream) => ({
    model,
    max_tokens: s.maxTokens !== "absent" && s.maxTokens ? s.maxTokens.value : DEFAULT_MAX_TOKENS,
    ...(s.system !== undefined ? { system: s.system } : {}),
    messages: s.turns.map((t) => ({ role: t.role, content: t.text })),
    ...(s.temperature !== undefined ? { temperature: s.temperature } : {}),
    ...(s.user !== undefined ? { metadata: { user_id: s.user } } : {}),
    ...streamField(s, stream),
  }),
  breakages: [
    { name: "no model", mutate: deleter("model") },
    { name: "no max_tokens", mutate: deleter("max_tokens") },
    { name: "max_tokens zero", field: "max_tokens", mutate: setter("max_tokens", 0) },
    { name: "no messages", mutate: deleter("messages") },
    { name: "messages not a list", mutate: setter("messages", "hello") },
    { name: "unknown role", mutate: setter("messages", [{ role: "wizard", content: "hi" }]) },
    // Anthropic's temperature range is 0..1.
    { name: "temperature just above 1", field: "temperature", mutate: setter("temperature", 1.000001) },
    { name: "temperature below 0", field: "temperature", mutate: setter("temperature", -0.5) },
    { name: "body an array", mutate: (b) => [b] },
  ],
  text(ex) {
    if (ex.events) {
      let text = "";
      for (const e of ex.events) {
        const d = parse(e.data) as { type?: string; delta?: { type?: string; text?: string } } | undefined;
        if (d?.type === "content_block_delta") text += d.delta?.text ?? "";
      }
      return text;
    }
    const c = (ex.json as { content?: Array<{ text?: unknown }> } | undefined)?.content?.[0]?.text;
    return typeof c === "string" ? c : undefined;
  },
  isTerminator: (e) => e.event === "message_stop" || parse(e.data)?.type === "message_stop",
};

const gemini: ClientDialect = {
  path: (t, model, stream) =>
    t
      .replace("{model}", encodeURIComponent(model))
      .replace(/:generateContent$/, stream ? ":streamGenerateContent?alt=sse" : ":generateContent"),
  body: (text, model, stream) => gemini.build(simpleShape(text), model, stream),
  // generateContent: roles user and model, systemInstruction, the knobs in generationConfig; streaming is
  // the method (streamGenerateContent), never a body field.
  build: (s) => {
    const config = {
      ...cap(s, "maxOutputTokens"),
      ...(s.temperature !== undefined ? { temperature: s.temperature } : {}),
    };
    return {
      contents: s.turns.map((t) => ({
        role: t.role === "assistant" ? "model" : "user",
        parts: [{ text: t.text }],
      })),
      ...(s.system !== undefined ? { systemInstruction: { parts: [{ text: s.system }] } } : {}),
      ...(Object.keys(config).length ? { generationConfig: config } : {}),
    };
  },
  breakages: [
    { name: "no contents", mutate: deleter("contents") },
    { name: "contents not a list", mutate: setter("contents", "hello") },
    { name: "empty contents", mutate: setter("contents", []) },
    {
      name: "temperature just above 2",
      field: "temperature",
      mutate: setter("generationConfig.temperature", 2.000001),
    },
    {
      name: "maxOutputTokens zero",
      field: "max_tokens",
      mutate: setter("generationConfig.maxOutputTokens", 0),
    },
    { name: "body an array", mutate: (b) => [b] },
  ],
  text(ex) {
    const pick = (d: unknown) =>
      (
        d as { candidates?: Array<{ content?: { parts?: Array<{ text?: string }> } }> } | undefined
      )?.candidates?.[0]?.content?.parts
        ?.map((p) => p.text ?? "")
        .join("");
    if (ex.events) return ex.events.map((e) => pick(parse(e.data)) ?? "").join("");
    const t = pick(ex.json);
    return typeof t === "string" ? t : undefined;
  },
  // Gemini streams have no terminator event: the last chunk carries finishReason.
  isTerminator: (e, i, all) =>
    i === all.length - 1 &&
    !!(parse(e.data) as { candidates?: Array<{ finishReason?: string }> } | undefined)?.candidates?.[0]
      ?.finishReason,
};

export const CLIENT_DIALECTS: Record<DialectId, ClientDialect> = { openai, anthropic, gemini };
