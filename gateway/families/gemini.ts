import {
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

// generateContent as ai.google.dev/api/generate-content documents it: the model is in the path,
// `contents` is required, roles are `user` and `model`, and the sampling knobs sit in `generationConfig`
// (temperature 0..2, maxOutputTokens ≥ 1).
const CONFIG: Record<string, Rule> = {
  temperature: range(0, 2),
  topP: range(0, 1),
  maxOutputTokens: positiveInt,
  candidateCount: positiveInt,
  stopSequences: stringList,
};
/** generationConfig keys under the dialect-neutral names the profile's fieldCodes use. */
const NEUTRAL: Record<string, string> = { maxOutputTokens: "max_tokens", topP: "top_p" };

function partsText(v: unknown, at: string): string | Validation {
  if (!isObject(v)) return invalid(at, "expected an object");
  if (!Array.isArray(v.parts) || v.parts.length === 0) {
    return invalid(`${at}.parts`, `expected a non-empty array, saw ${show(v.parts)}`);
  }
  let text = "";
  for (const [i, p] of v.parts.entries()) {
    if (!isObject(p) || typeof p.text !== "string") {
      return invalid(`${at}.parts[${i}]`, "expected a text part ({text: string})");
    }
    text += p.text;
  }
  return text;
}

function toMessages(v: unknown): Validation | Array<{ role: string; content: string }> {
  if (!Array.isArray(v) || v.length === 0)
    return invalid("contents", `expected a non-empty array, saw ${show(v)}`);
  const out: Array<{ role: string; content: string }> = [];
  for (const [i, c] of v.entries()) {
    const at = `contents[${i}]`;
    if (!isObject(c)) return invalid(at, "expected an object");
    const role = c.role ?? "user";
    if (role !== "user" && role !== "model") {
      return invalid(`${at}.role`, `expected user or model, saw ${show(role)}`);
    }
    const text = partsText(c, at);
    if (typeof text !== "string") return text;
    out.push({ role: role === "model" ? "assistant" : "user", content: text });
  }
  return out;
}

/** Validates a generateContent request (model and streaming from the path) into an OpenAI chat body. */
export function validateGenerateContent(body: unknown, model: string, stream: boolean): Validation {
  if (!isObject(body)) return invalid(undefined, "Request body must be a JSON object");
  if (model === "") return invalid("model", "expected a model name in the path");
  const messages = toMessages(body.contents);
  if (!Array.isArray(messages)) return messages;
  if (body.systemInstruction !== undefined) {
    const system = partsText(body.systemInstruction, "systemInstruction");
    if (typeof system !== "string") return system;
    messages.unshift({ role: "system", content: system });
  }
  const config = body.generationConfig ?? {};
  if (!isObject(config)) return invalid("generationConfig", `expected an object, saw ${show(config)}`);
  const bad = checkOptional(config, CONFIG, "generationConfig.", (k) => NEUTRAL[k] ?? k);
  if (bad) return bad;
  const chat: Record<string, unknown> = { model, messages };
  if (config.temperature !== undefined) chat.temperature = config.temperature;
  if (config.topP !== undefined) chat.top_p = config.topP;
  if (config.maxOutputTokens !== undefined) chat.max_tokens = config.maxOutputTokens;
  if (config.stopSequences !== undefined) chat.stop = config.stopSequences;
  if (stream) chat.stream = true;
  return { ok: true, request: { model, stream, body: chat } };
}

const FINISH: Record<string, string> = { stop: "STOP", length: "MAX_TOKENS", content_filter: "SAFETY" };
const finishReason = (f: unknown) => (typeof f === "string" ? (FINISH[f] ?? "OTHER") : "STOP");

function response(text: string, model: string, id: string, extra: Record<string, unknown> = {}) {
  const { finishReason: finish, ...rest } = extra;
  return {
    candidates: [
      {
        content: { parts: [{ text }], role: "model" },
        ...(finish ? { finishReason: finish } : {}),
        index: 0,
      },
    ],
    ...rest,
    modelVersion: model,
    responseId: id,
  };
}

function usageMetadata(prompt: number, completion: number) {
  return { promptTokenCount: prompt, candidatesTokenCount: completion, totalTokenCount: prompt + completion };
}

// Gemini frames SSE events with CRLF pairs; @google/genai splits on \n\n, \r\r and \r\n\r\n alike.
const event = (data: unknown) => `data: ${JSON.stringify(data)}\r\n\r\n`;

export const geminiCodec: ClientCodec = {
  dialect: "gemini",
  // `:streamGenerateContent` is the same request streamed (clients add ?alt=sse for SSE framing).
  chatPaths: (template) => [
    { template, stream: false },
    ...(template.endsWith(":generateContent")
      ? [{ template: template.replace(/:generateContent$/, ":streamGenerateContent"), stream: true }]
      : []),
  ],
  toChat: (body, route) => validateGenerateContent(body, route.model ?? "", route.stream === true),
  fromCompletion(c, model, id) {
    const choice = firstChoice(c);
    const u = usageOf(c);
    return response(textOf(choice.message?.content), model, id, {
      finishReason: finishReason(choice.finish_reason),
      usageMetadata: usageMetadata(u.prompt, u.completion),
    });
  },
  encoder(model, id) {
    let finish: unknown;
    let pieces = 0;
    return {
      open: () => "",
      chunk(c) {
        const choice = firstChoice(c);
        if (choice.finish_reason) finish = choice.finish_reason;
        const text = textOf(choice.delta?.content);
        if (!text) return "";
        pieces++;
        return event(response(text, model, id));
      },
      // A Gemini stream has no terminator: it ends after the chunk that carries finishReason.
      close: () =>
        event(
          response("", model, id, {
            finishReason: finishReason(finish),
            usageMetadata: usageMetadata(0, pieces),
          }),
        ),
      // As an SSE event (well-framed for any SSE reader) in Google's error shape.
      error: (body) => event(body),
    };
  },
  models: (ids) => ({
    models: ids.map((id) => ({
      name: `models/${id}`,
      displayName: id,
      supportedGenerationMethods: ["generateContent", "streamGenerateContent"],
    })),
  }),
  // @google/genai sends its key as x-goog-api-key.
  altAuth: [{ header: "x-goog-api-key", scheme: "raw" }],
};
