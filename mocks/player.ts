import type { Reply } from "./types.ts";

/** The longest a `hang` holds a connection, so a forgotten client never pins the mock forever. */
export const MAX_HANG_MS = 10 * 60_000;

/** How an exchange ended, as the journal records it. */
export type Outcome = "answered" | "fault" | "client_closed";

/**
 * How a transport breaks an exchange: `reset` a TCP RST, `empty` a close with no (further) bytes,
 * `cut` a close after the bytes written so far, without the body's terminator. Before the head, a
 * sink may play `cut` as `empty`.
 */
export type FaultKind = "reset" | "empty" | "cut";

/** Who ended a wait early: the client went away, or the host stopped playing (an adapter's done()). */
export type Gone = "client" | "host";

/** What a sink calls when the exchange ends before the player is done. */
export interface GoneListener {
  gone(who: Gone): void;
}

/**
 * Where a Reply is played: a node:http response, a web Response (msw), a Readable (nock). One sink
 * object serves every exchange of its runtime; the exchange's own state is the target `t`, so playing an
 * instant answer allocates nothing. The player decides what happens and when; a sink only writes.
 */
export interface ReplySink<T> {
  /** Status, headers and the whole body at once: what most answers are. */
  whole(t: T, status: number, headers: Record<string, string>, body: string): void;
  /**
   * Makes ready a whole answer's status and headers while its delay runs, sending nothing; `endWhole`
   * then writes the body and sends both. Optional, and only as a pair. Why: a thousand delayed answers
   * due at once are written one after another, so what each does when its timer fires adds to the
   * wait of every one due after it, where work done on arrival is spread over the arrivals (in a
   * 1,000-request burst on this project's machine, 15 µs more per answer on firing added 25–40 ms to
   * the p99, and 15 µs more on arrival 6–10 ms).
   */
  prepareWhole?(t: T, status: number, headers: Record<string, string>, body: string): void;
  endWhole?(t: T, body: string): void;
  /** Status and headers of a body that follows in pieces. */
  head(t: T, status: number, headers: Record<string, string>): void;
  write(t: T, data: string): void;
  /**
   * A whole stream with no pause in it, head to clean end, written as one batch: the same bytes and the
   * same framing as `head`, a `write` per chunk and `end`, with fewer trips to the kernel. Optional: a
   * sink without it gets those calls.
   */
  burst?(
    t: T,
    status: number,
    headers: Record<string, string>,
    chunks: ReadonlyArray<{ data: string }>,
  ): void;
  /** Ends the body cleanly. */
  end(t: T): void;
  /** Breaks the exchange; a promise when the break waits for written bytes to reach the client first. */
  fault(t: T, kind: FaultKind, headSent: boolean): void | Promise<void>;
  /** Whether the client went away (or the host stopped), checked before each write. */
  gone(t: T): Gone | undefined;
  /** Tells `listener` once when the exchange ends early; `unlisten` when the player is done. */
  listen(t: T, listener: GoneListener): void;
  unlisten(t: T, listener: GoneListener): void;
}

/** Told how each exchange ended; one object for every exchange, the exchange's own data in `context`. */
export interface PlayReport<C> {
  played(outcome: Outcome, context: C): void;
  failed(error: unknown, context: C): void;
}

/** Whether every chunk goes out at once and the stream ends cleanly: then it needs no timer. */
function instantStream(reply: Reply): boolean {
  if ((reply.end ?? "finish") !== "finish") return false;
  for (const c of reply.chunks!) if (c.delayMs) return false;
  return true;
}

/**
 * Plays a Reply into a sink and reports how it ended, once: the one place that says what a delay, a
 * hang, a stall, a cut, a reset and an empty reply are. A whole answer and a stream without pauses are
 * played at once (the report comes before `play` returns); anything with a timer takes one Playback.
 */
export function play<T, C>(reply: Reply, sink: ReplySink<T>, t: T, report: PlayReport<C>, context: C): void {
  if (!reply.delayMs && !reply.fault && reply.end !== "hang") {
    if (!reply.chunks) {
      try {
        sink.whole(t, reply.status, reply.headers, reply.body ?? "");
      } catch (e) {
        report.failed(e, context);
        return;
      }
      report.played("answered", context);
      return;
    }
    if (instantStream(reply)) {
      try {
        if (sink.burst) sink.burst(t, reply.status, reply.headers, reply.chunks);
        else {
          sink.head(t, reply.status, reply.headers);
          for (const c of reply.chunks) sink.write(t, c.data);
          sink.end(t);
        }
      } catch (e) {
        report.failed(e, context);
        return;
      }
      report.played("answered", context);
      return;
    }
  }
  new Playback(reply, sink, t, report, context).start();
}

/**
 * The longest delay a whole answer's head is made ready for in advance (ReplySink.prepareWhole): node sets
 * its Date header then, and a second is that header's own resolution.
 */
export const PREPARE_MAX_MS = 1_000;

/** A prepared answer's headers, once they are written into its head. */
const WRITTEN: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** Where a Playback is: what its timer, when it fires, goes on to. */
const At = { Start: 0, Chunk: 1, Hung: 2, Done: 3 } as const;
type At = (typeof At)[keyof typeof At];

/**
 * One Reply played over time: a state machine driven by one timer at a time and the sink's gone
 * signal, with no promise or closure per step (a thousand of these run at once under a latency plan).
 */
class Playback<T, C> implements GoneListener {
  private at: At = At.Start;
  private next = 0;
  private headSent = false;
  /** The sink made the head of this whole answer ready before the delay (prepareWhole). */
  private prepared = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly reply: Reply,
    private readonly sink: ReplySink<T>,
    private readonly t: T,
    private readonly report: PlayReport<C>,
    private readonly context: C,
  ) {}

  start(): void {
    const who = this.sink.gone(this.t);
    if (who) {
      this.gone(who);
      return;
    }
    this.sink.listen(this.t, this);
    const r = this.reply;
    if (!r.delayMs) {
      this.step();
      return;
    }
    if (r.delayMs <= PREPARE_MAX_MS && this.sink.prepareWhole && !r.fault && !r.chunks && r.end !== "hang") {
      try {
        this.sink.prepareWhole(this.t, r.status, r.headers, r.body ?? "");
      } catch (e) {
        this.fail(e);
        return;
      }
      this.prepared = true;
      // The headers are in the sink's head now. The reply is this answer's own: it lets go of them, as
      // every object an answer keeps through its delay is copied by each scavenge meanwhile (an object,
      // its property array and the per-answer values: a request id, a length, a time).
      r.headers = WRITTEN;
    }
    this.after(r.delayMs, At.Start);
  }

  /** The client went away, or the host stopped: a wait ends now. */
  gone(who: Gone): void {
    if (this.at === At.Done) return;
    clearTimeout(this.timer);
    if (who === "client") this.finish("client_closed");
    else this.breakOff();
  }

  private after(ms: number, at: At): void {
    this.at = at;
    this.timer = setTimeout(Playback.fire, ms, this);
    // A hang must not keep a process alive on its own (a test that forgets a hung request).
    if (at === At.Hung) this.timer.unref();
  }

  private static fire(p: Playback<unknown, unknown>): void {
    p.timer = undefined;
    if (p.at === At.Hung) p.breakOff();
    else p.step();
  }

  /** Goes as far as it can without waiting. */
  private step(): void {
    try {
      const who = this.sink.gone(this.t);
      if (who) this.gone(who);
      else if (this.at === At.Start) this.begin();
      else {
        // The timer was this chunk's delay: write it, then go on.
        this.sink.write(this.t, this.reply.chunks![this.next++]!.data);
        this.rest();
      }
    } catch (e) {
      this.fail(e);
    }
  }

  /** After the first delay: a fault before any byte, a whole body, or the head of a streamed one. */
  private begin(): void {
    const r = this.reply;
    if (r.fault === "hang") this.after(MAX_HANG_MS, At.Hung);
    else if (r.fault) this.fault(r.fault);
    else if (!r.chunks && r.end !== "hang") {
      if (this.prepared) this.sink.endWhole!(this.t, r.body ?? "");
      else this.sink.whole(this.t, r.status, r.headers, r.body ?? "");
      this.finish("answered");
    } else {
      this.head();
      if (r.chunks) this.rest();
      else this.after(MAX_HANG_MS, At.Hung);
    }
  }

  /** Writes chunks up to the next one with a delay, or to the end and how the reply ends. */
  private rest(): void {
    const chunks = this.reply.chunks!;
    for (; this.next < chunks.length; this.next++) {
      const c = chunks[this.next]!;
      if (c.delayMs) {
        this.after(c.delayMs, At.Chunk);
        return;
      }
      this.sink.write(this.t, c.data);
    }
    const end = this.reply.end ?? "finish";
    if (end === "finish") {
      this.sink.end(this.t);
      this.finish("answered");
    } else if (end === "hang") this.after(MAX_HANG_MS, At.Hung);
    else this.fault(end);
  }

  private head(): void {
    this.sink.head(this.t, this.reply.status, this.reply.headers);
    this.headSent = true;
  }

  /** The mock lets go of an exchange it holds (its hang limit, or the host stopping): a fault of its own. */
  private breakOff(): void {
    this.fault(this.headSent ? "cut" : "empty");
  }

  private fault(kind: FaultKind): void {
    // Done before the break: a close the break itself causes is not the client leaving.
    this.at = At.Done;
    this.sink.unlisten(this.t, this);
    let broken: void | Promise<void>;
    try {
      broken = this.sink.fault(this.t, kind, this.headSent);
    } catch (e) {
      this.report.failed(e, this.context);
      return;
    }
    if (broken)
      broken.then(
        () => this.report.played("fault", this.context),
        (e) => this.report.failed(e, this.context),
      );
    else this.report.played("fault", this.context);
  }

  private finish(outcome: Outcome): void {
    this.at = At.Done;
    this.sink.unlisten(this.t, this);
    this.report.played(outcome, this.context);
  }

  private fail(e: unknown): void {
    this.at = At.Done;
    clearTimeout(this.timer);
    this.sink.unlisten(this.t, this);
    this.report.failed(e, this.context);
  }
}
