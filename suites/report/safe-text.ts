import { redactText } from "../../core/redact.ts";

/**
 * Bytes a gateway may send that must never reach a terminal, a Markdown summary or an XML report raw:
 * C0 controls but tab and newline, DEL, C1 controls, the bidi overrides (they reorder what a reader sees),
 * U+FFFE/U+FFFF (not XML characters) and lone surrogates (not UTF-8 at all).
 */
const UNSAFE =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * `\x1b` → the six visible characters `\u001b`. The one function every report file and every console
 * line goes through, so hostile bytes stay readable evidence instead of terminal commands or invalid XML.
 * Applied to JSON text it yields the same JSON (`\u001b` is JSON's own escape).
 */
export function escapeControl(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** What every console line and report file goes through: secrets out first, then hostile bytes. */
export function sanitizer(secrets: Array<string | undefined>): (text: string) => string {
  // Longest first: a secret that contains another is removed whole, not around the shorter one.
  const known = secrets.filter((s): s is string => !!s).sort((a, b) => b.length - a.length);
  return (text) => escapeControl(redactText(text, known));
}
