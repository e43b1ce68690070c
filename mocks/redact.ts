import { createHash } from "node:crypto";

const SECRET_HEADERS = new Set([
  "authorization",
  "proxy-authorization",
  "x-api-key",
  "api-key",
  "x-goog-api-key",
  "cookie",
  "set-cookie",
]);

/** A short, stable fingerprint so a journal can show *which* key was sent without showing it. */
export function fingerprint(secret: string): string {
  let fp = recent.get(secret);
  if (fp === undefined) {
    fp = createHash("sha256").update(secret).digest("hex").slice(0, 8);
    // A gateway sends the same few keys over and over: remember them, boundedly.
    if (recent.size >= 256) recent.clear();
    recent.set(secret, fp);
  }
  return fp;
}
const recent = new Map<string, string>();

/** `Bearer sk-abc…` → `Bearer [redacted sha256:1a2b3c4d]`. */
export function redactValue(value: string): string {
  const m = /^(\w+)\s+(.+)$/.exec(value);
  if (m && /^(bearer|basic|token)$/i.test(m[1]!)) return `${m[1]} [redacted sha256:${fingerprint(m[2]!)}]`;
  return `[redacted sha256:${fingerprint(value)}]`;
}

export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers))
    out[k] = SECRET_HEADERS.has(k.toLowerCase()) ? redactValue(v) : v;
  return out;
}

/** Removes each given secret from a text (reports, curl commands, logs). */
export function redactText(text: string, secrets: Array<string | undefined>): string {
  let out = text;
  for (const s of secrets)
    if (s && s.length >= 4) out = out.split(s).join(`[redacted sha256:${fingerprint(s)}]`);
  return out;
}
