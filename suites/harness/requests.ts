import { faker } from "@faker-js/faker";
import fc from "fast-check";
import type { Profile } from "../profile/schema.ts";
import type { Target } from "../target.ts";
import { PLAN_PLACEHOLDER } from "./execute.ts";
import type { RequestSpec } from "./types.ts";

/** A realistic prompt, drawn by fast-check (so it shrinks and replays) and worded by a seeded faker. */
export const prompt: fc.Arbitrary<string> = fc.noShrink(
  fc.integer({ min: 0, max: 2 ** 31 - 1 }).map((seed) => {
    faker.seed(seed);
    return faker.lorem.sentence({ min: 3, max: 12 });
  }),
);

export function authHeader(p: Profile, key: string): Record<string, string> {
  return { [p.auth.header]: p.auth.scheme === "bearer" ? `Bearer ${key}` : key };
}

export interface ChatOptions {
  model?: string;
  key?: string;
  stream?: boolean;
  /** Put the plan marker in the prompt so the gateway carries it to the mock. */
  withMarker?: boolean;
  extra?: Record<string, unknown>;
}

export function chatBody(t: Target, text: string, o: ChatOptions = {}): Record<string, unknown> {
  return {
    model: o.model ?? t.model,
    messages: [{ role: "user", content: o.withMarker ? `${text} ${PLAN_PLACEHOLDER}` : text }],
    max_tokens: 32,
    ...(o.stream ? { stream: true } : {}),
    ...o.extra,
  };
}

export function chatRequest(p: Profile, t: Target, body: unknown, o: ChatOptions = {}): RequestSpec {
  return {
    method: p.endpoints.chat.method,
    path: p.endpoints.chat.path,
    headers: { "content-type": "application/json", ...t.headers, ...authHeader(p, o.key ?? t.apiKey) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  };
}
