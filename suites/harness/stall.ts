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

/** How the loop fared over a window: its longest stall, and all the time it ran late, in ms. */
export interface LoopLoss {
  longest: number;
  lost: number;
}

const TICK_MS = 20;
/** Lateness of a tick worth keeping: scheduling jitter stays below it. */
const KEEP_MS = 5;
/** Enough for the longest case window to look back on (41 s of ticks all late): older ones cannot overlap. */
const KEPT = 2048;

export class StallWatch {
  private timer: NodeJS.Timeout | undefined;
  private last = 0;
  /** A ring of the latest late ticks: `next` is where the next one goes. */
  private readonly stalls: Stall[] = [];
  private next = 0;
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

  /**
   * The loop over [from, to] (performance.now() times): its longest stall that overlapped the window, and
   * the time it ran late within it. A stall still going on counts from its start up to now. A loop starved
   * of CPU loses time in many short stalls, none long: `lost` sees that, `longest` does not.
   */
  during(from: number, to: number): LoopLoss {
    let longest = 0;
    let lost = 0;
    const add = (a: number, b: number) => {
      if (b < from || a > to) return;
      longest = Math.max(longest, b - a);
      lost += Math.min(b, to) - Math.max(a, from);
    };
    for (const s of this.stalls) add(s.from, s.to);
    if (this.timer) {
      const due = this.last + TICK_MS;
      const now = performance.now();
      if (now - due >= KEEP_MS) add(due, now);
    }
    return { longest: Math.round(longest), lost: Math.round(lost) };
  }

  private tick(): void {
    const now = performance.now();
    const due = this.last + TICK_MS;
    if (now - due >= KEEP_MS) {
      if (this.stalls.length < KEPT) this.stalls.push({ from: due, to: now });
      else this.stalls[this.next] = { from: due, to: now };
      this.next = (this.next + 1) % KEPT;
    }
    this.last = now;
  }
}
