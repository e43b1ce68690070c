// What the mock benches send: plans made through the control API, the chat requests that carry their
// markers, and the mock's own answers captured for the bare server to replay byte for byte.
import { request } from "undici";
import type { Canned, Target } from "./protocol.ts";

export async function post(url: string, body: unknown): Promise<{ id: string; marker: string }> {
  const res = await request(url, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json" },
    headersTimeout: 5_000,
  });
  const json = (await res.body.json()) as { id: string; marker: string };
  if (res.statusCode !== 201) throw new Error(`plan refused: ${JSON.stringify(json)}`);
  return json;
}

const HOP_BY_HOP = new Set(["date", "connection", "keep-alive", "transfer-encoding", "content-length"]);

/** One real answer of the mock, kept as the bytes the bare server will replay. */
export async function capture(t: Target, delayMs = 0): Promise<Canned> {
  const res = await request(t.url, {
    method: "POST",
    headers: t.headers,
    body: t.body,
    headersTimeout: 5_000,
  });
  const text = await res.body.text();
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers))
    if (!HOP_BY_HOP.has(k) && typeof v === "string") headers[k] = v;
  const sse = headers["content-type"]?.startsWith("text/event-stream");
  // The mock writes one SSE event per write; the bare server does the same.
  const pieces = sse ? text.split(/(?<=\n\n)/) : [text];
  return { status: res.statusCode, headers, pieces, delayMs };
}

export function chat(url: string, content: string, stream = false): Target {
  return {
    url,
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer sk-bench-not-a-secret" },
    body: JSON.stringify({ model: "gpt-4o-mini", stream, messages: [{ role: "user", content }] }),
  };
}
