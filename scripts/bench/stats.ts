/** Latency figures of one measured run, in milliseconds. */
export interface LatencySummary {
  p50: number;
  p99: number;
  max: number;
}

export function summarise(latenciesMs: number[]): LatencySummary {
  const sorted = Float64Array.from(latenciesMs).sort();
  const at = (q: number) =>
    sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : NaN;
  return { p50: round(at(0.5)), p99: round(at(0.99)), max: round(at(1)) };
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** A plain fixed-width table: the first row is the header. */
export function table(rows: Array<Array<string | number>>): string {
  const cells = rows.map((r) => r.map(String));
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(cells[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join(
    "\n",
  );
}

/**
 * A bench run's verdict from its targets: a judged miss fails (1); a target the machine was too busy to
 * settle makes the run inconclusive (3), neither a miss of the code nor a pass; met (0) only when every
 * target was judged and met.
 */
export function benchVerdict(
  anyMissed: boolean,
  anyUnjudged: boolean,
): { line: string; state: "missed" | "inconclusive" | "met"; exitCode: 0 | 1 | 3 } {
  if (anyMissed) return { line: "targets MISSED", state: "missed", exitCode: 1 };
  if (anyUnjudged)
    return {
      line: "INCONCLUSIVE: targets met where judged, some NOT JUDGED (machine too busy for the rounds to agree); run again on a quieter machine",
      state: "inconclusive",
      exitCode: 3,
    };
  return { line: "targets met", state: "met", exitCode: 0 };
}
