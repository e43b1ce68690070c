import { faker } from "@faker-js/faker";
import fc from "fast-check";
import type { Profile } from "../profile/schema.ts";
import type { Target } from "../target.ts";
import { CLIENT_DIALECTS, type ClientDialect } from "./dialects.ts";
import { PLAN_PLACEHOLDER } from "./execute.ts";
import type { RequestSpec } from "./types.ts";

/** A realistic prompt, drawn by fast-check (so it shrinks and replays) and worded by a seeded faker. */
export const prompt: fc.Arbitrary<string> = fc.noShrink(
  fc.integer({ min: 0, max: 2 ** 31 - 1 }).map((seed) => {
    faker.seed(seed);
    return faker.lorem.sentence({ min: 3, max: 12 });
  }),
);

/**
 * The optional headers every official SDK sends, so a gateway that needs one is not misjudged: openai-node
 * (`src/client.ts`, `buildHeaders`) sends `Accept: application/json` and `User-Agent: OpenAI/JS <version>`
 * on every request, streams included; `@anthropic-ai/sdk` and `@google/genai` send the same `Accept`.
 * The request-shape property (suites/request-shape.ts) varies them.
 */
export const SDK_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "application/json",
  accept: "application/json",
  "user-agent": "faultline/0.1 (OpenAI/JS compatible)",
};

export function authHeader(p: Profile, key: string): Record<string, string> {
  return { [p.auth.header]: p.auth.scheme === "bearer" ? `Bearer ${key}` : key };
}

export function clientDialect(p: Profile): ClientDialect {
  return CLIENT_DIALECTS[p.endpoints.chat.dialect];
}

export interface ChatOptions {
  text: string;
  model?: string;
  key?: string;
  stream?: boolean;
  /** Put the plan marker in the prompt so the gateway carries it to the mock. */
  withMarker?: boolean;
  /** Changes the body before it is serialised (negative data). */
  mutate?: (body: Record<string, unknown>) => unknown;
  /** A raw body that replaces the generated one (malformed JSON). */
  raw?: string;
}

/** A chat request in the endpoint family's own dialect (OpenAI, Anthropic or Gemini). */
export function chatRequest(p: Profile, t: Target, o: ChatOptions): RequestSpec {
  const d = clientDialect(p);
  const model = o.model ?? t.model;
  const text = o.withMarker ? `${o.text} ${PLAN_PLACEHOLDER}` : o.text;
  const generated = d.body(text, model, !!o.stream);
  const body = o.raw ?? JSON.stringify(o.mutate ? o.mutate(generated) : generated);
  return {
    method: p.endpoints.chat.method,
    path: d.path(p.endpoints.chat.path, model, !!o.stream),
    headers: { ...SDK_HEADERS, ...t.headers, ...authHeader(p, o.key ?? t.apiKey) },
    body,
  };
}
