import type { DialectId } from "../types.ts";
import { openai } from "./openai.ts";
import type { Dialect } from "./types.ts";

const DIALECTS: Partial<Record<DialectId, Dialect>> = { openai };

/** Registers a dialect; the Anthropic and Gemini dialects register themselves here. */
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
