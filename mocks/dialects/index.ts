import type { DialectId } from "../types.ts";
import { anthropic } from "./anthropic.ts";
import { gemini } from "./gemini.ts";
import { openai } from "./openai.ts";
import type { Dialect } from "./types.ts";

const DIALECTS: Partial<Record<DialectId, Dialect>> = { openai, anthropic, gemini };

/** Registers a dialect (a user's own, or a replacement for a built-in one). */
export function registerDialect(d: Dialect): void {
  DIALECTS[d.id] = d;
}

export function dialect(id: DialectId): Dialect {
  const d = DIALECTS[id];
  if (!d)
    throw new Error(`dialect "${id}" is not available; expected one of ${Object.keys(DIALECTS).join(", ")}`);
  return d;
}

export function dialectIds(): DialectId[] {
  return Object.keys(DIALECTS) as DialectId[];
}
