// The verdict of `scripts/bench/connections.ts`: what a storm over many connections must show for the
// mock to have held it. Apart from the script so that each rule has a test (test/bench-verdict.test.ts).

export interface StormFigures {
  /** Connections asked for, opened before the storm, and still open when it ended. */
  connections: number;
  openedAtStart: number;
  openAtEnd: number;
  sent: number;
  answered: number;
  /** Answers by status; a storm's must all be `expectedStatus`. */
  statuses: Record<string, number>;
  expectedStatus: number;
  /** Socket errors the load saw (resets, refused connections). */
  errors: number;
  /** Requests due while every connection was still busy: the server fell seconds behind. */
  skipped: number;
  healthAnswered: number;
  healthFailures: number;
  healthP99Ms: number;
  /** RSS over the last third of the run: end ÷ start − 1. */
  rssGrowth: number;
}

export const STORM_TARGETS = { healthP99Ms: 100, rssGrowth: 0.1 } as const;

/** Why the run missed, one reason per rule broken; none when it held. */
export function judgeStorm(f: StormFigures, targets = STORM_TARGETS): string[] {
  const why: string[] = [];
  if (f.sent === 0) why.push("no request was sent: the storm judged nothing");
  if (f.openedAtStart < f.connections)
    why.push(`${f.openedAtStart} of ${f.connections} connections opened before the storm`);
  if (f.openAtEnd < f.openedAtStart)
    why.push(`${f.openedAtStart - f.openAtEnd} connections were closed during the storm`);
  if (f.errors > 0) why.push(`${f.errors} socket errors`);
  if (f.answered < f.sent) why.push(`${f.sent - f.answered} of ${f.sent} requests were never answered`);
  const other = Object.entries(f.statuses).filter(([s]) => s !== String(f.expectedStatus));
  if (other.length > 0)
    why.push(
      `${other.reduce((n, [, c]) => n + c, 0)} answers were not ${f.expectedStatus} (${other.map(([s, c]) => `${s}: ${c}`).join(", ")})`,
    );
  if (f.skipped > 0)
    why.push(`${f.skipped} requests were due while every connection was busy (the server fell behind)`);
  if (f.healthAnswered === 0) why.push("health was never answered once the connections were open");
  if (f.healthFailures > 0) why.push(`${f.healthFailures} health calls failed or timed out`);
  if (f.healthP99Ms > targets.healthP99Ms)
    why.push(`health p99 ${f.healthP99Ms} ms, over ${targets.healthP99Ms} ms`);
  if (f.rssGrowth > targets.rssGrowth)
    why.push(
      `RSS grew ${Math.round(f.rssGrowth * 1000) / 10}% over the last third of the run, over ${targets.rssGrowth * 100}%`,
    );
  return why;
}
