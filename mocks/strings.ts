// The strings of the mock's answers, measured and kept as V8 handles them best: a byte length known
// without a scan where a body was built of ASCII parts, and ropes flattened once where they are kept.

/**
 * The last body a dialect built from parts it knew to be ASCII (engine-made ids, digits, an ASCII model
 * name and provider name). A string equal to it is ASCII, so its UTF-8 length is its length: the
 * transport then writes the content-length without a scan of the body, which was the largest part of
 * the mock's extra work per 200 answer after the body itself (`npm run bench:instructions`). One slot,
 * not a cache: the body written next is nearly always the one built last, and any other string, or this
 * one after another body took the slot, is counted the usual way.
 */
let ascii: string | undefined;

/** Records that `s` is all ASCII (the caller built it so) and answers it. */
export function builtAscii(s: string): string {
  ascii = s;
  return s;
}

/** The last string measured and its length: a storm answers one cached error body over and over. */
let measured: string | undefined;
let measuredBytes = 0;

/** `Buffer.byteLength(s)`, skipping the scan for the body last recorded as ASCII or last measured. */
export function utf8Length(s: string): number {
  if (s === ascii) return s.length;
  if (s !== measured) {
    measuredBytes = Buffer.byteLength(s);
    measured = s;
  }
  return measuredBytes;
}

/** Whether every UTF-16 unit of `s` is ASCII: for strings checked once and kept (names, models). */
export function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/**
 * `s` as one flat string. A string built by concatenation is a rope of its parts, and V8 makes a flat
 * copy only of the string it is asked to (a write, a regular expression), never of the ropes inside it:
 * a rope kept and built into every answer (a cached part of a body, a stream's head) is walked again in
 * every answer that holds it, unless it is flattened once. And node checks every header value with a
 * regular expression, which V8 runs on a rope only after a trip through its runtime (about 400
 * instructions per answer, `npm run bench:instructions`). Reading a character flattens a rope in
 * place; the character is used, so no compiler drops the read.
 */
export function flat(s: string): string {
  return s.charCodeAt(0) === -1 ? "" : s;
}
