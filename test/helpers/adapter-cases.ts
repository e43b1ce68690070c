import type { MockEngine } from "../../mocks/engine.ts";
import { untag } from "./completion-tag.ts";

/** What a client observes of one exchange, reduced to what must agree across socket and in-process mocks. */
export type Observed =
  | {
      kind: "response";
      status: number;
      retryAfter: string | null;
      errorCode?: string | null;
      /** Text of a JSON completion, or the reassembled content of a stream. */
      text?: string;
      /** Stream only: `[DONE]` seen, an error event seen, the body read failed. */
      done?: boolean;
      errorEvent?: boolean;
      broken?: boolean;
    }
  | { kind: "error" };

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export const CHAT = "/alpha/v1/chat/completions";

/** The cases both adapters must answer exactly as the socket server does. */
export const CASES: Array<{ name: string; plan: unknown; stream?: boolean; attempts?: number }> = [
  { name: "ok JSON", plan: { providers: { alpha: ["ok"] } } },
  {
    name: "rate_limit 429 with retry-after",
    plan: { providers: { alpha: [{ step: "rate_limit", retryAfterS: 2 }] } },
  },
  { name: "stream reassembled", plan: { providers: { alpha: ["ok"] } }, stream: true },
  {
    name: "stream_error",
    plan: { providers: { alpha: [{ step: "stream_error", afterChunks: 2 }] } },
    stream: true,
  },
  {
    name: "stream_cut",
    plan: { providers: { alpha: [{ step: "stream_cut", afterChunks: 2 }] } },
    stream: true,
  },
  {
    name: "close_clean",
    plan: { providers: { alpha: [{ step: "close_clean", afterChunks: 2 }] } },
    stream: true,
  },
  { name: "reset → fetch rejects", plan: { providers: { alpha: ["reset"] } } },
  { name: "empty → fetch rejects", plan: { providers: { alpha: ["empty"] } } },
  {
    name: "fail twice then succeed",
    plan: { providers: { alpha: ["server_error", "unavailable", "ok"] } },
    attempts: 3,
  },
  { name: "malformed_json", plan: { providers: { alpha: ["malformed_json"] } } },
];

export function chatBody(marker: string, stream = false): string {
  return JSON.stringify({
    model: "gpt-4o-mini",
    stream,
    messages: [{ role: "user", content: `hi ${marker}` }],
  });
}

/** Sends one chat request and reduces what comes back; never waits past its deadline. */
export async function observe(
  fetchFn: FetchLike,
  url: string,
  marker: string,
  stream = false,
): Promise<Observed> {
  let res: Response;
  try {
    res = await fetchFn(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer sk-test-secret" },
      body: chatBody(marker, stream),
      signal: AbortSignal.timeout(5_000),
    });
  } catch {
    return { kind: "error" };
  }
  const base = { kind: "response" as const, status: res.status, retryAfter: res.headers.get("retry-after") };
  if (!stream || res.status !== 200) {
    const raw = await res.text();
    try {
      const body = JSON.parse(raw) as {
        choices?: Array<{ message?: { content?: string } }>;
        error?: { code?: string | null };
      };
      // Untagged: the socket and the in-process runs are different attempts, with different tags.
      return { ...base, text: untag(body.choices?.[0]?.message?.content), errorCode: body.error?.code };
    } catch {
      return { ...base, text: `unparsable: ${raw.length > 0}` };
    }
  }
  // Read chunk by chunk so what arrived before a cut is kept.
  let raw = "";
  let broken = false;
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      raw += decoder.decode(chunk, { stream: true });
    }
  } catch {
    broken = true;
  }
  return { ...base, ...reassemble(raw), broken };
}

/** Reads OpenAI SSE: the content deltas, whether `[DONE]` came, whether an error object came. */
export function reassemble(raw: string): { text: string; done: boolean; errorEvent: boolean } {
  let text = "";
  let done = false;
  let errorEvent = false;
  for (const line of raw.split("\n")) {
    if (!line.startsWith("data: ")) continue;
    const data = line.slice(6);
    if (data === "[DONE]") {
      done = true;
      continue;
    }
    const event = JSON.parse(data) as { error?: unknown; choices?: Array<{ delta?: { content?: string } }> };
    if (event.error) errorEvent = true;
    text += event.choices?.[0]?.delta?.content ?? "";
  }
  return { text: untag(text), done, errorEvent };
}

/** Plays every case against one target, with its own plan per case, and returns what was seen. */
export async function playCases(engine: MockEngine, fetchFn: FetchLike, baseUrl: string) {
  const seen: Record<string, Observed[]> = {};
  await Promise.all(
    CASES.map(async (c) => {
      const plan = engine.addPlan(c.plan);
      const out: Observed[] = [];
      for (let i = 0; i < (c.attempts ?? 1); i++)
        out.push(await observe(fetchFn, baseUrl + CHAT, plan.marker, c.stream));
      seen[c.name] = out;
    }),
  );
  return seen;
}
