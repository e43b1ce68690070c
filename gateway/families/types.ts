import type { DialectId } from "../../mocks/types.ts";
import type { Validation } from "../validate.ts";

/** What the route itself says about a chat request: Gemini puts the model and streaming in the path. */
export interface ChatRoute {
  model?: string;
  /** undefined: the body decides (`stream: true`). */
  stream?: boolean;
}

/** Turns the providers' OpenAI stream into the client's dialect, one frame at a time. */
export interface StreamEncoder {
  /** Frames before the first content (Anthropic's message_start). */
  open(): string;
  /** An OpenAI chunk as zero or more native frames. */
  chunk(c: Record<string, unknown>): string;
  /** The dialect's normal end: only written when the provider's stream completed. */
  close(): string;
  /** A rendered error envelope as the dialect's mid-stream error frame. */
  error(body: Record<string, unknown>): string;
}

/** One client-facing dialect the gateway serves: its request schema, its success shapes, its SDKs' habits. */
export interface ClientCodec {
  dialect: DialectId;
  /** The concrete paths a chat endpoint template stands for (Gemini streams on a sibling path). */
  chatPaths(template: string): Array<{ template: string; stream?: boolean }>;
  /** Validates a native request and translates it into the OpenAI chat body the providers take. */
  toChat(body: unknown, route: ChatRoute): Validation;
  fromCompletion(completion: Record<string, unknown>, model: string, id: string): unknown;
  encoder(model: string, id: string): StreamEncoder;
  models(ids: string[]): unknown;
  /** Credential headers this dialect's SDKs send, accepted besides the profile's own scheme. */
  altAuth: Array<{ header: string; scheme: "bearer" | "raw" }>;
}

export interface OpenAIChoice {
  message?: { content?: unknown };
  delta?: { content?: unknown };
  finish_reason?: unknown;
}

/** The first choice and usage of an OpenAI completion or chunk, read defensively. */
export function firstChoice(c: Record<string, unknown>): OpenAIChoice {
  const choices = c.choices;
  return Array.isArray(choices) && typeof choices[0] === "object" && choices[0] !== null
    ? (choices[0] as OpenAIChoice)
    : {};
}

export function usageOf(c: Record<string, unknown>): { prompt: number; completion: number } {
  const u = (c.usage ?? {}) as { prompt_tokens?: unknown; completion_tokens?: unknown };
  return {
    prompt: typeof u.prompt_tokens === "number" ? u.prompt_tokens : 0,
    completion: typeof u.completion_tokens === "number" ? u.completion_tokens : 0,
  };
}

export const textOf = (v: unknown): string => (typeof v === "string" ? v : "");
