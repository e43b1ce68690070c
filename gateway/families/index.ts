import type { DialectId } from "../../mocks/types.ts";
import { anthropicCodec } from "./anthropic.ts";
import { geminiCodec } from "./gemini.ts";
import { openaiCodec } from "./openai.ts";
import type { ClientCodec } from "./types.ts";

// The client-facing dialects of the reference gateway's endpoint families. The providers behind it
// always speak OpenAI; each codec translates requests in and completions out.
const CODECS: Record<DialectId, ClientCodec> = {
  openai: openaiCodec,
  anthropic: anthropicCodec,
  gemini: geminiCodec,
};

export function codecFor(dialect: DialectId): ClientCodec {
  return CODECS[dialect];
}

export type { ChatRoute, ClientCodec, StreamEncoder } from "./types.ts";
