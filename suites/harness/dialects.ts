import type { DialectId } from "../../mocks/types.ts";
import type { Exchange, SseEvent } from "./types.ts";

/** One way to break a request body (Schemathesis-style negative data), and the field it breaks. */
export interface Breakage {
  name: string;
  /** The field a field-specific code would name; undefined for structural breakage. */
  field?: string;
  mutate(body: Record<string, unknown>): unknown;
}

/** How the harness speaks one client-facing dialect: paths, bodies, negative data, completions. */
export interface ClientDialect {
  path(template: string, model: string, stream: boolean): string;
  body(text: string, model: string, stream: boolean): Record<string, unknown>;
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
  body: (text, model, stream) => ({
    model,
    messages: [{ role: "user", content: text }],
    max_tokens: 32,
    ...(stream ? { stream: true } : {}),
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
  body: (text, model, stream) => ({
    model,
    max_tokens: 32,
    messages: [{ role: "user", content: text }],
    ...(stream ? { stream: true } : {}),
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
  body: (text) => ({
    contents: [{ role: "user", parts: [{ text }] }],
    generationConfig: { maxOutputTokens: 32 },
  }),
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
