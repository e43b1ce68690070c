import type { ErrorKind } from "./types.ts";

type Invalid = { kind: ErrorKind; message: string } | undefined;
const bad = (message: string): Invalid => ({ kind: "bad_request", message });

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function inRange(b: Record<string, unknown>, field: string, min: number, max: number): Invalid {
  const v = b[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || v < min || v > max)
    return bad(`${v} is not a valid value for '${field}': expected a number between ${min} and ${max}.`);
  return undefined;
}

const OPENAI_ROLES: ReadonlySet<string> = new Set(["system", "user", "assistant", "tool", "developer"]);

/** OpenAI chat completions: the checks the API makes before a model ever runs (messages, ranges). */
export function validateOpenAiChat(body: unknown): Invalid {
  if (!isObject(body)) return bad("We could not parse the JSON body of your request.");
  if (typeof body.model !== "string") return bad("you must provide a model parameter");
  if (!Array.isArray(body.messages)) return bad("'messages' is a required property");
  const messages = body.messages as unknown[];
  if (messages.length === 0) return bad("[] is too short - 'messages'");
  // A loop, not every() and findIndex() with closures: this runs on every chat answer.
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (!isObject(m) || !OPENAI_ROLES.has(String(m.role)))
      return bad("Invalid value for 'messages': each message needs a valid role.");
  }
  // The API refuses a content that is neither a string nor an array of parts (an assistant message with
  // tool calls may carry null), in this wording: "Invalid type for 'messages[0].content': expected one of
  // a string or array of objects, but got an integer instead."
  let wrong = -1;
  for (let i = 0; i < messages.length && wrong < 0; i++) {
    const m = messages[i] as Record<string, unknown>;
    const c = m.content;
    if (!(typeof c === "string" || Array.isArray(c) || (c == null && m.role === "assistant"))) wrong = i;
  }
  if (wrong >= 0) {
    const c = (messages[wrong] as Record<string, unknown>).content;
    const got = c === null || c === undefined ? "null" : Number.isInteger(c) ? "an integer" : `a ${typeof c}`;
    return bad(
      `Invalid type for 'messages[${wrong}].content': expected one of a string or array of objects, but got ${got} instead.`,
    );
  }
  const maxTokens = body.max_tokens;
  if (maxTokens !== undefined && (!Number.isInteger(maxTokens) || (maxTokens as number) < 1)) {
    return bad(
      `Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got ${maxTokens} instead.`,
    );
  }
  // The API types `stream` as boolean or null, in the same wording as content: "Invalid type for 'stream':
  // expected a boolean, but got a string instead." — a gateway that forwards a client's `"stream": "yes"`
  // gets the provider's 400 (and spends an attempt, BILL-001), as it would in production.
  if (body.stream != null && typeof body.stream !== "boolean")
    return bad(`Invalid type for 'stream': expected a boolean, but got a ${typeof body.stream} instead.`);
  return inRange(body, "temperature", 0, 2) ?? inRange(body, "top_p", 0, 1);
}

/** Anthropic messages: model, max_tokens and messages are required; temperature is 0..1. */
export function validateAnthropicMessages(body: unknown): Invalid {
  if (!isObject(body)) return bad("Request body is not valid JSON.");
  if (typeof body.model !== "string") return bad("model: Field required");
  if (!Number.isInteger(body.max_tokens) || (body.max_tokens as number) < 1)
    return bad("max_tokens: Field required");
  if (!Array.isArray(body.messages) || body.messages.length === 0) return bad("messages: Field required");
  if (body.stream !== undefined && typeof body.stream !== "boolean")
    return bad("stream: Input should be a valid boolean");
  return inRange(body, "temperature", 0, 1);
}

/** Gemini generateContent: contents are required. */
export function validateGeminiGenerate(body: unknown): Invalid {
  if (!isObject(body)) return { kind: "bad_request", message: "Invalid JSON payload received." };
  if (!Array.isArray(body.contents) || body.contents.length === 0) {
    return { kind: "bad_request", message: "* GenerateContentRequest.contents: contents is not specified" };
  }
  return undefined;
}
