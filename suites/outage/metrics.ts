/** What one judged request contributes to the run's figures. */
export interface Judged {
  /** Milliseconds since the scenario started, when the request met the mock (or went out, without attempts). */
  atMs: number;
  status?: number;
  elapsedMs: number;
  /** Upstream attempts the journal shows for it. */
  attempts: number;
  /** How long its failed attempts delayed its last one: last attempt's arrival − first attempt's. */
  addedWaitMs: number;
  /** Failing check ids (must and should; info never fails). */
  violations: string[];
}

/** Counters for one slice of time (a second or a phase). */
interface Slice {
  sent: number;
  ok: number;
  /** Requests answered with an HTTP status (the rest timed out or broke). */
  answered: number;
  latencies: number[];
  attempts: number;
  maxAttempts: number;
  /** Requests the gateway answered without any upstream attempt (its own state: breaker, cooldown). */
  unreached: number;
  addedWait: number[];
  violations: Map<string, number>;
  statuses: Map<string, number>;
}

const newSlice = (): Slice => ({
  sent: 0,
  ok: 0,
  answered: 0,
  latencies: [],
  attempts: 0,
  maxAttempts: 0,
  unreached: 0,
  addedWait: [],
  violations: new Map(),
  statuses: new Map(),
});

function add(s: Slice, j: Judged): void {
  s.sent++;
  if (j.status !== undefined) s.answered++;
  if (j.status !== undefined && j.status >= 200 && j.status < 300) s.ok++;
  s.latencies.push(j.elapsedMs);
  s.attempts += j.attempts;
  s.maxAttempts = Math.max(s.maxAttempts, j.attempts);
  if (j.attempts === 0) s.unreached++;
  if (j.attempts > 1) s.addedWait.push(j.addedWaitMs);
  const st = j.status === undefined ? "none" : String(j.status);
  s.statuses.set(st, (s.statuses.get(st) ?? 0) + 1);
  for (const v of j.violations) s.violations.set(v, (s.violations.get(v) ?? 0) + 1);
}

/** Nearest-rank percentile; 0 for an empty list. */
export function percentile(xs: number[], p: number): number {
  if (!xs.length) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/** The figures of one slice, as the report carries them. */
export interface Figures {
  sent: number;
  ok: number;
  answered: number;
  /** 2xx answers per second of the slice. */
  goodputPerS: number;
  latencyMs: { p50: number; p99: number };
  /** Upstream attempts per client request: mean and the most any one request caused. */
  attemptsPerRequest: { mean: number; max: number };
  /** Wait added by failed attempts, over the requests that had more than one. */
  addedWaitMs: { mean: number; p99: number; requests: number };
  unreached: number;
  statuses: Record<string, number>;
  violations: Record<string, number>;
}

function figures(s: Slice, seconds: number): Figures {
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  return {
    sent: s.sent,
    ok: s.ok,
    answered: s.answered,
    goodputPerS: round(seconds > 0 ? s.ok / seconds : 0),
    latencyMs: { p50: percentile(s.latencies, 50), p99: percentile(s.latencies, 99) },
    attemptsPerRequest: { mean: round(s.sent ? s.attempts / s.sent : 0), max: s.maxAttempts },
    addedWaitMs: {
      mean: Math.round(mean(s.addedWait)),
      p99: percentile(s.addedWait, 99),
      requests: s.addedWait.length,
    },
    unreached: s.unreached,
    statuses: Object.fromEntries([...s.statuses].sort()),
    violations: Object.fromEntries([...s.violations].sort()),
  };
}

/** One point of the report's timeline: one second of traffic, by the time requests met the mock. */
export interface TimelinePoint {
  /** Seconds since the scenario started (the start of the second). */
  t: number;
  sent: number;
  ok: number;
  answered: number;
  goodput: number;
  violations: number;
  p99Ms: number;
  attemptsPerRequest: number;
}

/** Collects judged requests by second and by phase; figures are computed when asked for. */
export class Tally {
  private readonly seconds: Slice[] = [];
  private readonly phases: Slice[];

  constructor(phaseCount: number) {
    this.phases = Array.from({ length: phaseCount }, newSlice);
  }

  add(phase: number, j: Judged): void {
    const sec = Math.max(0, Math.floor(j.atMs / 1000));
    while (this.seconds.length <= sec) this.seconds.push(newSlice());
    add(this.seconds[sec]!, j);
    add(this.phases[phase]!, j);
  }

  phaseFigures(phase: number, seconds: number): Figures {
    return figures(this.phases[phase]!, seconds);
  }

  timeline(): TimelinePoint[] {
    return this.seconds.map((s, t) => ({
      t,
      sent: s.sent,
      ok: s.ok,
      answered: s.answered,
      goodput: s.ok,
      violations: [...s.violations.values()].reduce((a, b) => a + b, 0),
      p99Ms: percentile(s.latencies, 99),
      attemptsPerRequest: round(s.sent ? s.attempts / s.sent : 0),
    }));
  }
}
