import { createHash } from "node:crypto";

/**
 * A word of a header or query parameter name that says it carries a credential: `authorization`,
 * `x-api-key`, Gemini's `?key=`, `?api_key=`, `x-amz-security-token`, `X-Amz-Signature`,
 * `X-Amz-Credential`, `x-portkey-api-key`, `client_secret`, `apiKey`, cookies. Names are cut into words
 * (at `-`, `_`, `.` and lower-to-upper case changes) so that `x-portkey-trace-id` keeps its value.
 * A word may also run a qualifier and the credential together, as names written in one piece or in
 * capitals do (`apitoken`, `ACCESSTOKEN`, `secretkey`, `privatekey`, `sessiontoken`); the qualifiers
 * are listed, so `monkey` or `hockey` is not read as a key.
 */
export const SECRET_WORD = new RegExp(
  [
    `^(${[
      "api",
      "access",
      "account",
      "admin",
      "app",
      "auth",
      "bearer",
      "client",
      "csrf",
      "encryption",
      "id",
      "jwt",
      "license",
      "master",
      "oauth",
      "pat",
      "personal",
      "private",
      "refresh",
      "sas",
      "secret",
      "security",
      "service",
      "session",
      "signing",
      "subscription",
      "user",
      "webhook",
      "xsrf",
    ].join("|")})?(keys?|tokens?|secrets?|signature|sig|credentials?|passw(or)?d|passphrase)$`,
    "^auth",
    "^pwd$",
    "^cookie$",
    "^session$",
  ].join("|"),
);

/** Names that match the pattern but carry no secret, and that people debugging a gateway want to read. */
const NOT_SECRET = new Set(["idempotency-key", "x-idempotency-key", "keep-alive", "x-faultline-plan"]);

/** Shorter configured secrets would black out ordinary words; refused where they are configured. */
export const MIN_SECRET_LENGTH = 8;

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

// Names repeat on every request, so each is judged once; bounded, as names come from the network.
const judged = new Map<string, boolean>();
/** Whether a header or parameter of this name is redacted whatever its value. */
export function isSecretName(name: string): boolean {
  let secret = judged.get(name);
  if (secret === undefined) {
    const lower = name.toLowerCase();
    secret =
      !NOT_SECRET.has(lower) &&
      name
        .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
        .toLowerCase()
        .split(/[-_.\s]+/)
        .some((w) => SECRET_WORD.test(w));
    if (judged.size >= 1024) judged.clear();
    judged.set(name, secret);
  }
  return secret;
}

/** Redacts headers whose names carry credentials (a new object; the input is left as it is). */
export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in headers) {
    const v = headers[k]!;
    out[k] = isSecretName(k) ? redactValue(v) : v;
  }
  return out;
}

/** Removes each given secret from a text (reports, curl commands, logs). */
export function redactText(text: string, secrets: Iterable<string | undefined>): string {
  let out = text;
  for (const s of secrets)
    if (s && s.length >= 4 && out.includes(s)) out = out.split(s).join(`[redacted sha256:${fingerprint(s)}]`);
  return out;
}

/**
 * The start of a secret that a text was cut in (a journal body capped at its byte limit): the text's
 * last characters, when they begin one of the secrets, are redacted too, as the rest of the secret is
 * what the cut removed. Three characters at least: a text cut anywhere often ends in a secret's first
 * letter or two, and a key's first characters are its public prefix (`sk-`, `AIza`).
 */
const CUT_MIN = 3;
function redactCutTail(text: string, secrets: Iterable<string>): string {
  // A cut inside a multi-byte character leaves U+FFFD at the end (Buffer#toString).
  const t = text.endsWith("\uFFFD") ? text.slice(0, -1) : text;
  for (const s of secrets) {
    for (let k = Math.min(s.length - 1, t.length); k >= CUT_MIN; k--) {
      if (t.endsWith(s.slice(0, k)))
        return `${t.slice(0, t.length - k)}[redacted sha256:${fingerprint(s)}, cut]`;
    }
  }
  return text;
}

/**
 * What the journal applies to every entry: credential-named headers and query parameters, and any
 * text equal to a secret the user configured (`--secret`, `FAULTLINE_SECRETS`, `POST /_faultline/secrets`),
 * wherever it appears in a header, the query or the body.
 */
export class Redactor {
  private readonly secrets = new Set<string>();

  constructor(secrets: Iterable<string> = []) {
    this.add(secrets);
  }

  /** How many of `secrets` are not held yet: what `add` would add. */
  newOf(secrets: Iterable<string>): number {
    return new Set([...secrets].filter((s) => !this.secrets.has(s))).size;
  }

  /** Adds secrets; one shorter than MIN_SECRET_LENGTH is refused, naming its length only. */
  add(secrets: Iterable<string>): number {
    let added = 0;
    for (const s of secrets) {
      if (typeof s !== "string" || s.length < MIN_SECRET_LENGTH) {
        throw new Error(
          `a secret of ${typeof s === "string" ? s.length : 0} characters is too short to redact safely; expected at least ${MIN_SECRET_LENGTH}`,
        );
      }
      if (!this.secrets.has(s)) added++;
      this.secrets.add(s);
    }
    return added;
  }

  get size(): number {
    return this.secrets.size;
  }

  /**
   * Removes configured secrets from a text; the text itself when there are none (the common case).
   * `cut`: the text was cut short, and a secret may have been cut with it (redactCutTail).
   */
  text(s: string, cut = false): string {
    if (this.secrets.size === 0) return s;
    const out = redactText(s, this.secrets);
    return cut ? redactCutTail(out, this.secrets) : out;
  }

  /** A request path: configured secrets in it, as written or percent-encoded. */
  path(p: string): string {
    return this.secrets.size === 0 ? p : this.encodedText(p);
  }

  headers(headers: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const k in headers) {
      const v = headers[k]!;
      out[k] = isSecretName(k) ? redactValue(v) : this.text(v);
    }
    return out;
  }

  /** `key=AIza…&alt=sse` → `key=[redacted sha256:…]&alt=sse`; the raw text when nothing is secret. */
  query(raw: string): string {
    if (raw === "") return raw;
    let changed = false;
    const parts = raw.split("&").map((part) => {
      const eq = part.indexOf("=");
      const name = eq === -1 ? part : part.slice(0, eq);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name.replace(/\+/g, " "));
      } catch {
        // A malformed escape: judge the name as written.
      }
      if (eq !== -1 && isSecretName(decoded)) {
        changed = true;
        // Left unencoded: the journal's query is read by people, and the marker reads the same everywhere.
        return `${name}=${redactValue(safeDecode(part.slice(eq + 1)))}`;
      }
      return part;
    });
    const out = changed ? parts.join("&") : raw;
    return this.secrets.size === 0 ? out : this.encodedText(out);
  }

  /** Configured secrets in a URL's path or query, encoded or not. */
  private encodedText(q: string): string {
    let out = q;
    for (const s of this.secrets) {
      for (const form of new Set([s, encodeURIComponent(s)])) {
        if (out.includes(form)) out = out.split(form).join(`[redacted sha256:${fingerprint(s)}]`);
      }
    }
    return out;
  }
}

function safeDecode(v: string): string {
  try {
    return decodeURIComponent(v.replace(/\+/g, " "));
  } catch {
    return v;
  }
}
