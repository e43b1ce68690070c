// Live progress of `faultline run`, on stderr so stdout stays the report. On a terminal: one status line,
// rewritten in place (the property, its cases done of those requested, failures so far). Anywhere else
// (CI logs, a pipe): one plain line per finished property, nothing rewritten.
import type { PropertyOutcome } from "../../suites/harness/result.ts";
import type { CaseProgress } from "../../suites/harness/runner.ts";

/** Where progress goes: a stream, as much of one as this needs. */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export interface Progress {
  onCase(p: CaseProgress): void;
  onProperty(p: PropertyOutcome): void;
  /** Takes the status line away (before other output, and at the end). */
  clear(): void;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Redraws of the status line are at most this often; the last state is always drawn by the next event. */
const REDRAW_MS = 100;

export function progressPrinter(stream: ProgressStream, now: () => number = Date.now): Progress {
  const failuresOf = new Map<string, number>();
  let finished = 0;
  let shown = false;
  let drawnAt = Number.NEGATIVE_INFINITY;
  const failures = () => [...failuresOf.values()].reduce((a, b) => a + b, 0);

  const draw = (text: string) => {
    // One column short of the width: a line that fills it wraps on some terminals, and \r then misses.
    const width = Math.max(20, (stream.columns ?? 80) - 1);
    const line = text.length > width ? `${text.slice(0, width - 1)}…` : text;
    stream.write(`\r\x1b[2K${line}`);
    shown = true;
    drawnAt = now();
  };

  return {
    onCase(p) {
      failuresOf.set(p.property, p.failures);
      if (!stream.isTTY) return;
      if (now() - drawnAt < REDRAW_MS && p.done < p.requested) return;
      draw(
        `faultline: ${p.property} ${p.done}/${p.requested} cases · ${plural(finished, "property", "properties")} done · ${plural(failures(), "failure")} so far`,
      );
    },
    onProperty(p) {
      finished++;
      if (stream.isTTY) {
        draw(
          `faultline: ${p.id} ${p.status} · ${plural(finished, "property", "properties")} done · ${plural(failures(), "failure")} so far`,
        );
        return;
      }
      const cases = p.status === "skipped" ? (p.reason ?? "") : `${p.executed}/${p.requested} cases`;
      const why = p.status !== "skipped" && p.reason ? `; ${p.reason}` : "";
      stream.write(
        `faultline: ${p.id} ${p.status} (${cases}${why}) · ${plural(failures(), "failure")} so far\n`,
      );
    },
    clear() {
      if (!shown) return;
      stream.write("\r\x1b[2K");
      shown = false;
    },
  };
}
