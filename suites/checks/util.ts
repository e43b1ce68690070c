import { getPath } from "../harness/json-path.ts";
import type { Exchange } from "../harness/types.ts";
import type { Profile } from "../profile/schema.ts";

export const CLIENT_SIDE = new Set([
  "auth.missing",
  "auth.malformed",
  "auth.invalid",
  "request.malformed_json",
  "request.invalid",
  "request.too_large",
  "model.unknown",
  "model.disabled",
  "balance.insufficient",
  "rate.limited",
  "route.unknown",
  "method.unsupported",
]);

export const is2xx = (s: number | undefined) => s !== undefined && s >= 200 && s < 300;
export const isError = (s: number | undefined) => s !== undefined && s >= 400;

export function codeOf(ex: Exchange, p: Profile): unknown {
  return getPath(ex.json, p.envelope.code);
}

export function show(v: unknown): string {
  if (v === undefined) return "nothing";
  const s = typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v);
  return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}

export function describeResponse(ex: Exchange): string {
  if (ex.status === undefined)
    return ex.error ? `no response (${ex.error.code}: ${ex.error.message})` : "no response";
  const body = ex.raw.length > 300 ? `${ex.raw.slice(0, 300)}…` : ex.raw;
  return `${ex.status} ${body}`;
}

export function statusesFor(p: Profile, code: string): number[] | "varies" | undefined {
  const e = p.catalogue[code];
  if (!e) return undefined;
  return e.status === "varies" ? "varies" : [e.status].flat();
}

/** The text a successful chat completion carries: JSON (OpenAI shape) or reassembled SSE deltas. */
export function completionText(ex: Exchange): string | undefined {
  if (ex.events) {
    let text = "";
    for (const e of ex.events) {
      if (e.data === "[DONE]") continue;
      try {
        const d = JSON.parse(e.data) as { choices?: Array<{ delta?: { content?: string } }> };
        text += d.choices?.[0]?.delta?.content ?? "";
      } catch {
        // framing is judged by STR-003
      }
    }
    return text;
  }
  const j = ex.json as { choices?: Array<{ message?: { content?: unknown } }> } | undefined;
  const c = j?.choices?.[0]?.message?.content;
  return typeof c === "string" ? c : undefined;
}
