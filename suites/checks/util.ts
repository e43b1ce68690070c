import { getPath } from "../../core/json-path.ts";
import { CONDITIONS, type Profile } from "../../core/profile/schema.ts";
import { CLIENT_DIALECTS } from "../harness/dialects.ts";
import type { Exchange } from "../harness/types.ts";

/** Every condition the client causes: all but the upstream ones (docs/contract.md §2). */
export const CLIENT_SIDE: ReadonlySet<string> = new Set(CONDITIONS.filter((c) => !c.startsWith("upstream.")));

export const is2xx = (s: number | undefined) => s !== undefined && s >= 200 && s < 300;
export const isError = (s: number | undefined) => s !== undefined && s >= 400;

export function codeOf(ex: Exchange, p: Profile): unknown {
  return getPath(ex.json, p.envelope.code);
}

/** Whether an answer's code is one of `codes`; with `envelope.codeOptional`, no code (null or absent) is accepted too. */
export function codeAccepted(p: Profile, code: unknown, codes: string[]): boolean {
  if (typeof code === "string") return codes.includes(code);
  return !!p.envelope.codeOptional && (code === null || code === undefined);
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

/** The text a successful chat completion carries, in the endpoint family's dialect (JSON or reassembled SSE). */
export function completionText(ex: Exchange, p: Profile): string | undefined {
  return CLIENT_DIALECTS[p.endpoints.chat.dialect].text(ex);
}

/** Whether the stream ended with its dialect's normal terminator. */
export function endedNormally(ex: Exchange, p: Profile): boolean {
  const d = CLIENT_DIALECTS[p.endpoints.chat.dialect];
  const all = ex.events ?? [];
  return all.some((e, i) => d.isTerminator(e, i, all));
}
