import { performance } from "node:perf_hooks";

/**
 * The harness's own event loop, watched: a case whose verdict rests on timing means nothing if the harness
 * itself was frozen while it ran. In built-in mode the harness, the mock and the reference gateway share one
 * loop: a stall longer than what is left of the gateway's attempt timer makes that timer fire before the
 * mock's answer (already on the socket) is read, and the gateway rightly reports a timeout the case never
 * asked for. Against a gateway by URL a stall still inflates every time the harness measures.
 *
 * A ticking interval rather than perf_hooks.monitorEventLoopDelay: the histogram is process-wide and has to
 * be reset to be read per window, and cases run side by side; stalls kept as time ranges can be asked about
 * any window without disturbing one another.
 */
export interface Stall {
  /** performance.now() when the next tick was due, and when it came: the time the loop stood still. */
  from: number;
  to: number;
}

const TICK_MS = 20;
/** Lateness of a tick worth keeping: GC pauses and scheduling jitter stay below it. */
const KEEP_MS = 50;
/** Enough for the longest case window to look back on: older stalls cannot overlap a running case. */
const KEPT = 512;

export class StallWatch {
  private timer: NodeJS.Timeout | undefined;
  private last = 0;
  private readonly stalls: Stall[] = [];
  private users = 0;

  /** Starts watching (counted: every start needs its stop). */
  start(): void {
    if (this.users++ > 0) return;
    this.last = performance.now();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    // A watch never keeps a process alive on its own.
    this.timer.unref();
  }

  stop(): void {
    if (this.users === 0 || --this.users > 0) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The longest stall that overlapped [from, to] (performance.now() times), in ms; 0 when none did. */
  worst(from: number, to: number): number {
    // A stall still going on is seen from its start up to now.
    const open = this.timer ? performance.now() - this.last - TICK_MS : 0;
    let worst = open >= KEEP_MS && this.last <= to ? open : 0;
    for (const s of this.stalls) if (s.to >= from && s.from <= to) worst = Math.max(worst, s.to - s.from);
    return Math.round(worst);
  }

  private tick(): void {
    const now = performance.now();
    const late = now - this.last - TICK_MS;
    if (late >= KEEP_MS) {
      this.stalls.push({ from: this.last + TICK_MS, to: now });
      if (this.stalls.length > KEPT) this.stalls.shift();
    }
    this.last = now;
  }
}
