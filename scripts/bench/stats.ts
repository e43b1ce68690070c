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

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** Interquartile range, in the values' own unit. */
export function iqr(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.round(p * (s.length - 1)))]!;
  return q(0.75) - q(0.25);
}

/** Interquartile range over the median: how much the rounds disagree. */
export function spread(xs: readonly number[]): number {
  return iqr(xs) / median(xs);
}

/** P(X ≤ k) for X ~ Binomial(n, 1/2). */
function binomialHalfCdf(n: number, k: number): number {
  let term = 0.5 ** n;
  let sum = 0;
  for (let i = 0; i <= k; i++) {
    sum += term;
    term = (term * (n - i)) / (i + 1);
  }
  return sum;
}

/**
 * A distribution-free confidence interval for the median of `xs`: the order statistics x(k) and x(n+1−k)
 * with the largest k whose coverage, 1 − 2·P(Binomial(n, ½) ≤ k−1), is at least `confidence`. It assumes
 * nothing of the rounds' noise but that each round is as likely above the true median as below, which a
 * shared machine's bursts of other work do not break the way they break a mean. With fewer than 5
 * values no interval reaches 90%: the whole range, and `coverage` says how little it holds.
 */
export function medianInterval(
  xs: readonly number[],
  confidence = 0.9,
): { lo: number; hi: number; coverage: number } {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  let k = 1;
  while (k + 1 <= n / 2 && 1 - 2 * binomialHalfCdf(n, k) >= confidence) k++;
  return { lo: s[k - 1]!, hi: s[n - k]!, coverage: 1 - 2 * binomialHalfCdf(n, k - 1) };
}

/** How the rounds of one ratio stand against its target. */
export interface RatioJudgement {
  value: number;
  spread: number;
  /** The median's 90% interval (distribution-free, `medianInterval`). */
  lo: number;
  hi: number;
  /** Enough rounds, agreeing within the allowed spread. */
  stable: boolean;
  /** Every value the interval holds is on one side of the target: more rounds would not change the call. */
  decided: boolean;
  met: boolean | null;
}

/**
 * Judges the rounds' ratios against a target (at least, or at most): the median decides, once the rounds
 * agree. `decided` says the median's interval lies wholly on one side of the target, so a run can stop
 * early; a ratio close enough to its target that the interval straddles it runs every round allowed, and
 * is then called by its median.
 */
export function judgeRatio(
  ratios: readonly number[],
  target: number | undefined,
  atLeast: boolean,
  rules: {
    minRounds: number;
    stableSpread: number;
    /**
     * The spread as the interquartile range in the values' own unit, not over the median: for
     * differences (a p99 less bare's), whose median may be near zero.
     */
    absolute?: boolean;
  },
): RatioJudgement {
  const value = median(ratios);
  const { lo, hi } = medianInterval(ratios);
  const sp = rules.absolute ? iqr(ratios) : spread(ratios);
  const enough = ratios.length >= rules.minRounds;
  const ok = (x: number) => (target === undefined ? true : atLeast ? x >= target : x <= target);
  // An interval wholly on one side of the target settles the call however much the rounds disagree: it
  // already holds their spread (a mock at 0.4 of bare's req/s, rounds between 0.24 and 0.56, is a miss,
  // not "rounds disagree"). Rounds that agree are needed only to call a median whose interval straddles it.
  const oneSide = target !== undefined && ok(lo) === ok(hi);
  const stable = enough && (sp <= rules.stableSpread || oneSide);
  const decided = stable && (target === undefined || oneSide);
  return {
    value: round(value, 3),
    spread: round(sp, 3),
    lo: round(lo, 3),
    hi: round(hi, 3),
    stable,
    decided,
    met: target === undefined ? null : ok(value),
  };
}
