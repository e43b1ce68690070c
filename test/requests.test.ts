import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadProfile } from "../core/profile/load.ts";
import type { Profile } from "../core/profile/schema.ts";
import { CLIENT_DIALECTS } from "../suites/harness/dialects.ts";
import {
  COVERAGE_SHAPES,
  chatRequest,
  longBodyBytes,
  prompt,
  richShape,
  UNICODE_SAMPLES,
} from "../suites/harness/requests.ts";
import { PLAN_PLACEHOLDER } from "../suites/harness/types.ts";
import type { Target } from "../suites/target.ts";

const target: Target = { gateway: "http://127.0.0.1:1", apiKey: "k", model: "faultline-chat", headers: {} };
const profile = (name: string) => loadProfile(name);

describe("richer requests", () => {
  it("draw the same prompts and shapes from the same seed", () => {
    const a = fc.sample(fc.tuple(prompt, richShape), { seed: 42, numRuns: 20 });
    expect(fc.sample(fc.tuple(prompt, richShape), { seed: 42, numRuns: 20 })).toEqual(a);
    // Some prompts are not ASCII at all.
    expect(a.some(([p]) => /[^\x00-\x7f]/.test(p))).toBe(true);
  });

  it("write a conversation with the optional fields SDKs send, in each dialect's schema", () => {
    const { text, shape } = COVERAGE_SHAPES[2]!;
    const body = (p: Profile, stream: boolean) =>
      JSON.parse(chatRequest(p, target, { text, shape, stream, withMarker: true }).body!);

    const openai = body(profile("lumenfall"), true);
    expect(openai.messages.map((m: { role: string }) => m.role)).toEqual([
      "system",
      "user",
      "assistant",
      "user",
    ]);
    expect(openai.max_completion_tokens).toBe(64);
    expect(openai.max_tokens).toBeUndefined();
    expect(openai.stream_options).toEqual({ include_usage: true });
    expect(openai.user).toBe("faultline-coverage");
    // The marker leads the last user turn: a gateway that trims a long prompt keeps it.
    expect(openai.messages.at(-1).content.startsWith(PLAN_PLACEHOLDER)).toBe(true);
    expect(body(profile("lumenfall"), false).stream).toBe(false);

    const anthropic = CLIENT_DIALECTS.anthropic.build(
      { ...shape!, turns: [{ role: "user", text }] },
      "m",
      false,
    );
    expect(anthropic).toMatchObject({
      system: expect.any(String),
      max_tokens: 64,
      metadata: { user_id: "faultline-coverage" },
    });
    const gemini = CLIENT_DIALECTS.gemini.build(
      { ...shape!, turns: [...shape!.history!, { role: "user", text }] },
      "m",
      true,
    );
    expect((gemini.contents as Array<{ role: string }>).map((c) => c.role)).toEqual([
      "user",
      "model",
      "user",
    ]);
    expect(gemini).toMatchObject({
      systemInstruction: { parts: [{ text: expect.any(String) }] },
      generationConfig: { maxOutputTokens: 64, temperature: 0.2 },
    });
    expect(gemini.stream).toBeUndefined();
  });

  it("keep the one-turn request every earlier case sent", () => {
    const r = chatRequest(profile("lumenfall"), target, { text: "hi" });
    expect(JSON.parse(r.body!)).toEqual({
      model: "faultline-chat",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 32,
    });
  });

  it("make long prompts near the profile's body limit, never above it", () => {
    const llmapi = profile("llmapi");
    const limit = llmapi.limits.maxBodyBytes!;
    const r = chatRequest(llmapi, target, {
      text: UNICODE_SAMPLES[2]!,
      withMarker: true,
      shape: { size: "long" },
    });
    const bytes = Buffer.byteLength(r.body!);
    expect(bytes).toBeLessThanOrEqual(longBodyBytes(llmapi));
    expect(bytes).toBeGreaterThan(limit - 2 * 1024);
    // Multi-byte throughout: more bytes than UTF-16 units.
    expect(bytes).toBeGreaterThan(r.body!.length);
    const lumenfall = chatRequest(profile("lumenfall"), target, { text: "x", shape: { size: "long" } });
    expect(Buffer.byteLength(lumenfall.body!)).toBeGreaterThan(20 * 1024);
  });
});
