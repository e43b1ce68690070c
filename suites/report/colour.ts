// Colour for the console summary's verdict words, and only when the reader can see it.
//
// - FORCE_COLOR, when set, decides: `0` or `false` turns colour off, anything else (`1`, `true`, empty)
//   turns it on (as supports-color reads it, and as Node's own tty.getColorDepth lets it override NO_COLOR).
// - Else NO_COLOR set to anything but the empty string turns colour off (no-color.org: "when present and
//   not an empty string, prevents the addition of ANSI color").
// - Else colour only on a terminal that is not TERM=dumb.

export interface ColourTarget {
  isTTY?: boolean;
}

/** Whether text written to `stream` should carry ANSI colour. */
export function colourEnabled(
  env: NodeJS.ProcessEnv = process.env,
  stream: ColourTarget = process.stdout,
): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== "0" && force !== "false";
  if (env.NO_COLOR) return false;
  return stream.isTTY === true && env.TERM !== "dumb";
}

const CODES = { green: [32, 39], red: [31, 39] } as const;
export type Colour = keyof typeof CODES;

/** `text` in `colour` when colour is enabled for stdout (see colourEnabled), else `text` unchanged. */
export function paint(colour: Colour, text: string, enabled = colourEnabled()): string {
  if (!enabled) return text;
  const [open, close] = CODES[colour];
  return `\u001b[${open}m${text}\u001b[${close}m`;
}

const OUTCOME_WORD = /^(PASS|FAIL)(?= )/;
const VERDICT_LEAD = /^(PASSED|FAILED|SETUP ERROR|NOTHING JUDGED)(?=: )/;

/**
 * Colours the console summary as it is printed, after it was made safe (control bytes escaped), so the
 * escapes added here are the only ones that reach the terminal: a check line's PASS in green and FAIL in
 * red, the verdict's lead green when the run PASSED and red otherwise. Every other line is left alone.
 */
export function paintSummary(text: string, enabled = colourEnabled()): string {
  if (!enabled) return text;
  return text
    .split("\n")
    .map((line) =>
      line
        .replace(OUTCOME_WORD, (w) => paint(w === "PASS" ? "green" : "red", w, true))
        .replace(VERDICT_LEAD, (w) => paint(w === "PASSED" ? "green" : "red", w, true)),
    )
    .join("\n");
}
