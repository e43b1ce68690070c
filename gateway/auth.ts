import type { IncomingHttpHeaders } from "node:http";
import type { Condition, Profile } from "../core/profile/schema.ts";

export type AuthResult = { ok: true; key: string } | { ok: false; condition: Condition; message: string };

type Scheme = Profile["auth"];

// RFC 6750 §2.1: `Bearer` is matched case-insensitively and followed by exactly one space and a token68.
const BEARER = /^bearer ([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * Reads the client's credential as the profile's auth scheme declares it. `alternates` are the headers a
 * native SDK sends instead (Anthropic's x-api-key, Gemini's x-goog-api-key); they count only when the
 * profile's own header is absent, so a missing or malformed credential is still judged by the profile.
 */
export function authenticate(
  headers: IncomingHttpHeaders,
  auth: Scheme,
  /** Whether a well-formed key is one the gateway issued. */
  accepts: (key: string) => boolean,
  alternates: readonly Scheme[] = [],
): AuthResult {
  const used = [auth, ...alternates].find((a) => headers[a.header.toLowerCase()] !== undefined) ?? auth;
  const raw = headers[used.header.toLowerCase()];
  if (raw === undefined) {
    return {
      ok: false,
      condition: "auth.missing",
      message: `Missing API key: send the ${auth.header} header`,
    };
  }
  const value = Array.isArray(raw) ? raw.join(", ") : raw;
  let key: string | undefined;
  if (used.scheme === "bearer") key = BEARER.exec(value)?.[1];
  else key = /^\S+$/.test(value) ? value : undefined;
  if (key === undefined) {
    const want = used.scheme === "bearer" ? `${used.header}: Bearer <key>` : `${used.header}: <key>`;
    return {
      ok: false,
      condition: "auth.malformed",
      message: `Malformed ${used.header} header: expected ${want}`,
    };
  }
  if (!accepts(key)) {
    return { ok: false, condition: "auth.invalid", message: "Invalid API key" };
  }
  return { ok: true, key };
}
