// Idempotency-Key parsing: draft-ietf-httpapi-idempotency-key-header-07 and RFC 8941.

export type KeyParse = { ok: true; key: string } | { ok: false; message: string };

/**
 * The draft: "`Idempotency-Key` is an Item Structured Header [RFC8941]. Its value MUST be a String"
 * (`"abc"`); Stripe sends the bare token (`abc`). Both name the same key. sf-string per RFC 8941 §4.2.5:
 * printable ASCII, with only `\"` and `\\` as escapes.
 */
export function parseIdempotencyKey(raw: string, quotedDiffers = false): KeyParse {
  const value = raw.trim();
  const bad = (why: string): KeyParse => ({
    ok: false,
    message: `Malformed Idempotency-Key header (${why}): send a quoted string like "8e03978e-40d5" or a bare token`,
  });
  if (value === "") return bad("empty");
  if (quotedDiffers) return { ok: true, key: value };
  if (!value.startsWith('"')) {
    return /^[\x21\x23-\x7e]{1,255}$/.test(value) ? { ok: true, key: value } : bad("not a token");
  }
  let key = "";
  for (let i = 1; i < value.length; i++) {
    const ch = value[i]!;
    if (ch === "\\") {
      const next = value[++i];
      if (next !== '"' && next !== "\\") return bad("bad escape");
      key += next;
    } else if (ch === '"') {
      if (i !== value.length - 1) return bad("text after the closing quote");
      return key.length > 0 && key.length <= 255 ? { ok: true, key } : bad("empty or too long");
    } else if (ch < " " || ch > "~") return bad("not printable ASCII");
    else key += ch;
  }
  return bad("no closing quote");
}
