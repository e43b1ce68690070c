import { faker } from "@faker-js/faker";
import fc from "fast-check";
import type { Profile } from "../../core/profile/schema.ts";
import type { Target } from "../target.ts";
import { type ChatShape, CLIENT_DIALECTS, type ClientDialect, simpleShape, type Turn } from "./dialects.ts";
import { PLAN_PLACEHOLDER, type RequestSpec } from "./types.ts";

/** Seeded lorem: fast-check draws the seed (so it shrinks and replays), faker words it. */
const lorem: fc.Arbitrary<string> = fc.noShrink(
  fc.integer({ min: 0, max: 2 ** 31 - 1 }).map((seed) => {
    faker.seed(seed);
    return faker.lorem.sentence({ min: 3, max: 12 });
  }),
);

/**
 * Text that is not ASCII, as users write it: multi-byte CJK, emoji (with a zero-width joiner and a flag:
 * several code points, one glyph), right-to-left Arabic and Hebrew, combining marks (decomposed accents),
 * Devanagari and astral-plane letters. A gateway that counts UTF-16 units as bytes (Content-Length from
 * `string.length`) or slices a prompt in the middle of a character breaks on them.
 */
export const UNICODE_SAMPLES: readonly string[] = [
  "请用一句话回答：天空为什么是蓝色的？",
  "日本語のテキストも送ります。",
  "👩‍💻 ships 🚀 to 🇺🇦 and 🇯🇵 🎉",
  "مرحبا بالعالم، كيف حالك اليوم؟",
  "שלום עולם, מה שלומך?",
  "Cafe\u0301 nin\u0303o a\u030angstro\u0308m",
  "नमस्ते दुनिया",
  "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕥𝕖𝕩𝕥 ∑ ≠ ∞",
];

const unicode: fc.Arbitrary<string> = fc
  .tuple(lorem, fc.subarray([...UNICODE_SAMPLES], { minLength: 1, maxLength: 3 }))
  .map(([words, parts]) => [...parts, words].join(" "));

/** A prompt: lorem or a mix of scripts (drawn by fast-check, so it shrinks towards ASCII and replays). */
export const prompt: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: lorem },
  { weight: 2, arbitrary: unicode },
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

/** Without a declared body limit, a long prompt is this big: long enough to cross any buffer a gateway sizes by guess. */
const LONG_PROMPT_BYTES = 24 * 1024;
/** What a long request stays under a declared limit by: the marker, headers and rounding. */
const LIMIT_MARGIN_BYTES = 1024;

/** The body size a long prompt aims at: just under the profile's limit when it declares one (docs/contract.md, request.too_large). */
export function longBodyBytes(p: Profile): number {
  const limit = p.limits.maxBodyBytes;
  return limit === undefined ? LONG_PROMPT_BYTES : Math.max(1024, limit - LIMIT_MARGIN_BYTES);
}

/** How a drawn prompt is sized: as written, or padded until the body is near `longBodyBytes`. */
export type PromptSize = "short" | "long";

export interface ChatOptions {
  text: string;
  model?: string;
  key?: string;
  stream?: boolean;
  /** Put the plan marker in the prompt so the gateway carries it to the mock. */
  withMarker?: boolean;
  /** A richer request (conversation, system prompt, optional fields); `text` is then its last user turn. */
  shape?: Omit<ChatShape, "turns"> & { history?: Turn[]; size?: PromptSize };
  /** Changes the body before it is serialised (negative data). */
  mutate?: (body: Record<string, unknown>) => unknown;
  /** A raw body that replaces the generated one (malformed JSON). */
  raw?: string;
}

/** Filler that mixes one- to four-byte characters, so a long prompt is long in bytes and in characters. */
const FILLER = `${"The quick brown fox jumps over the lazy dog. "}${UNICODE_SAMPLES[0]} ${UNICODE_SAMPLES[2]} `;

/** Pads the last turn until the serialised body is close to `bytes` (never above it). */
function padToBytes(build: (text: string) => Record<string, unknown>, text: string, bytes: number): string {
  const size = (t: string) => Buffer.byteLength(JSON.stringify(build(t)));
  const unit = Buffer.byteLength(FILLER);
  const room = bytes - size(text);
  if (room <= unit) return text;
  let padded = `${FILLER.repeat(Math.floor(room / unit))}${text}`;
  // The last character may sit on a multi-byte boundary: trim whole characters until it fits.
  while (size(padded) > bytes) padded = [...padded].slice(1).join("");
  return padded;
}

/** A chat request in the endpoint family's own dialect (OpenAI, Anthropic or Gemini). */
export function chatRequest(p: Profile, t: Target, o: ChatOptions): RequestSpec {
  const d = clientDialect(p);
  const model = o.model ?? t.model;
  const stream = !!o.stream;
  const { history = [], size = "short", ...fields } = o.shape ?? {};
  const build = (text: string) =>
    d.build(
      {
        ...simpleShape(""),
        ...fields,
        // The marker leads the turn: a gateway that trims or truncates a long prompt keeps its start.
        turns: [...history, { role: "user", text: o.withMarker ? `${PLAN_PLACEHOLDER} ${text}` : text }],
      },
      model,
      stream,
    );
  const text = size === "long" ? padToBytes(build, o.text, longBodyBytes(p)) : o.text;
  const generated = build(text);
  const body = o.raw ?? JSON.stringify(o.mutate ? o.mutate(generated) : generated);
  return {
    method: p.endpoints.chat.method,
    path: d.path(p.endpoints.chat.path, model, stream),
    headers: { ...SDK_HEADERS, ...t.headers, ...authHeader(p, o.key ?? t.apiKey) },
    body,
  };
}

export type RichShape = NonNullable<ChatOptions["shape"]>;

/** Earlier turns of a conversation: user and assistant alternating, so the request ends on the user's turn. */
const history: fc.Arbitrary<Turn[]> = fc.array(fc.tuple(prompt, prompt), { maxLength: 2 }).map((pairs) =>
  pairs.flatMap(([q, a]): Turn[] => [
    { role: "user", text: q },
    { role: "assistant", text: a },
  ]),
);

/**
 * The requests SDKs send, drawn per case: conversations, system prompts, prompts near the body limit,
 * `max_tokens` or `max_completion_tokens` or no cap, `temperature`, `user`, `stream` absent or false,
 * `stream_options.include_usage`. Everything optional shrinks away, towards the one-turn request.
 */
export const richShape: fc.Arbitrary<RichShape> = fc.record(
  {
    history,
    system: prompt,
    size: fc.constantFrom<PromptSize>("short", "short", "short", "long"),
    maxTokens: fc.oneof(
      fc.constant<"absent">("absent"),
      fc.record({
        field: fc.constantFrom<"max_tokens" | "max_completion_tokens">("max_tokens", "max_completion_tokens"),
        value: fc.integer({ min: 1, max: 256 }),
      }),
    ),
    temperature: fc.double({ min: 0, max: 1, noNaN: true }).map((t) => Math.round(t * 100) / 100),
    user: fc.integer({ min: 1, max: 9_999 }).map((n) => `faultline-user-${n}`),
    includeUsage: fc.boolean(),
    streamFalse: fc.boolean(),
  },
  { requiredKeys: [] },
);

/**
 * Deterministic shapes for the coverage phase, cycled through by case index: the simple request, a
 * unicode prompt, a conversation with every optional field, a long prompt near the body limit.
 */
export const COVERAGE_SHAPES: ReadonlyArray<{ text: string; shape?: RichShape }> = [
  { text: "Say hello in one short sentence." },
  { text: UNICODE_SAMPLES.join(" ") },
  {
    text: `${UNICODE_SAMPLES[3]} ${UNICODE_SAMPLES[5]}`,
    shape: {
      history: [
        { role: "user", text: UNICODE_SAMPLES[0]! },
        { role: "assistant", text: UNICODE_SAMPLES[2]! },
      ],
      system: "You are a terse assistant. Réponds brièvement.",
      maxTokens: { field: "max_completion_tokens", value: 64 },
      temperature: 0.2,
      user: "faultline-coverage",
      includeUsage: true,
      streamFalse: true,
    },
  },
  { text: "Summarise the text above.", shape: { size: "long", maxTokens: "absent" } },
];
