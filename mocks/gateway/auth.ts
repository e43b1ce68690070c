import type { IncomingHttpHeaders } from "node:http";
import type { Condition, Profile } from "../../suites/profile/schema.ts";

export type AuthResult = { ok: true; key: string } | { ok: false; condition: Condition; message: string };

// RFC 6750 §2.1: `Bearer` is matched case-insensitively and followed by exactly one space and a token68.
const BEARER = /^bearer ([A-Za-z0-9\-._~+/]+=*)$/i;

/** Reads the client's credential as the profile's auth scheme declares it. */
export function authenticate(
  headers: IncomingHttpHeaders,
  auth: Profile["auth"],
  validKeys: ReadonlySet<string>,
  acceptAnyKey: boolean,
): AuthResult {
  const raw = headers[auth.header.toLowerCase()];
  if (raw === undefined) {
    return {
      ok: false,
      condition: "auth.missing",
      message: `Missing API key: send the ${auth.header} header`,
    };
  }
  const value = Array.isArray(raw) ? raw.join(", ") : raw;
  let key: string | undefined;
  if (auth.scheme === "bearer") key = BEARER.exec(value)?.[1];
  else key = /^\S+$/.test(value) ? value : undefined;
  if (key === undefined) {
    const want = auth.scheme === "bearer" ? `${auth.header}: Bearer <key>` : `${auth.header}: <key>`;
    return {
      ok: false,
      condition: "auth.malformed",
      message: `Malformed ${auth.header} header: expected ${want}`,
    };
  }
  if (!validKeys.has(key) && !acceptAnyKey) {
    return { ok: false, condition: "auth.invalid", message: "Invalid API key" };
  }
  return { ok: true, key };
}
