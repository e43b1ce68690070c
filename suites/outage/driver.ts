import { Agent, request } from "undici";
import type { RequestSpec } from "../harness/types.ts";
import type { DriveOptions, DriveStats, LoadEngine } from "./engine.ts";
import { MAX_SAMPLE_BODY, requestFor, type Sample } from "./sample.ts";

/**
 * The built-in open-loop engine: request i goes out at start + i / rate whatever happened to the earlier
 * ones (a closed loop would slow down exactly when the gateway does, and hide the outage). In-flight
 * requests are bounded only by `maxInFlight`, as a safety net; anything it holds back is counted, never
 * silently dropped.
 */
export interface OpenLoopOptions {
  /** Requests per second. */
  rate: number;
  /** Epoch ms of the first request. */
  startAt: number;
  /** Asked when the planned end is reached: a later end to keep going (recovery not yet seen), or undefined. */
  extend?: (plannedEnd: number) => number | undefined;
  endAt: number;
  maxInFlight?: number;
  /** Aborted: no further request goes out (what is in flight is the caller's to end). */
  signal?: AbortSignal;
  fire(index: number): Promise<void>;
}

export interface OpenLoopStats {
  sent: number;
  /** Requests held back because `maxInFlight` were already out. */
  heldBack: number;
  /** The worst lateness of a request against its schedule: the driver itself could not keep up. */
  maxLagMs: number;
  endedAt: number;
}

const TICK_MS = 5;

export async function openLoop(o: OpenLoopOptions): Promise<OpenLoopStats> {
  const maxInFlight = o.maxInFlight ?? 10_000;
  const stats: OpenLoopStats = { sent: 0, heldBack: 0, maxLagMs: 0, endedAt: 0 };
  const pending = new Set<Promise<void>>();
  let end = o.endAt;
  let due = 0;
  await new Promise<void>((done) => {
    const tick = () => {
      const now = Date.now();
      if (o.signal?.aborted) {
        stats.endedAt = now;
        done();
        return;
      }
      if (now >= end) {
        const later = o.extend?.(end);
        if (later !== undefined && later > end) end = later;
        else {
          stats.endedAt = end;
          done();
          return;
        }
      }
      const target = Math.floor(((Math.min(now, end) - o.startAt) * o.rate) / 1000);
      for (; due < target; due++) {
        const scheduled = o.startAt + (due * 1000) / o.rate;
        stats.maxLagMs = Math.max(stats.maxLagMs, now - scheduled);
        if (pending.size >= maxInFlight) {
          stats.heldBack++;
          continue;
        }
        stats.sent++;
        const p = o.fire(due).finally(() => pending.delete(p));
        pending.add(p);
      }
      setTimeout(tick, Math.max(0, Math.min(TICK_MS, o.startAt - Date.now())));
    };
    setTimeout(tick, Math.max(0, o.startAt - Date.now()));
  });
  await Promise.allSettled([...pending]);
  stats.maxLagMs = Math.round(stats.maxLagMs);
  return stats;
}

/**
 * One agent per run: unbounded connections, so an open loop never queues behind a slow answer. Idle
 * connections are dropped after 1 s, far inside Node's 5 s server default, so a loaded machine's timer lag
 * never makes the harness reuse a connection the gateway is closing (a reset that would not be the gateway's).
 */
export function outageAgent(): Agent {
  return new Agent({ connections: null, pipelining: 1, keepAliveTimeout: 1_000, keepAliveMaxTimeout: 1_000 });
}

function lower(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h))
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}

/** The error of a request the harness itself ended because the run was interrupted: never judged. */
export const INTERRUPTED = "FAULTLINE_INTERRUPTED";
const DEADLINE = "FAULTLINE_DEADLINE";

/** How often the deadlines are looked at: a request ends at most this late (its deadline has seconds of grace). */
const SWEEP_MS = 50;

/**
 * The deadlines of the requests in flight, kept by one timer for all of them: at 500 requests per second a
 * timer and an abort signal each (and a combined one for the interruption) cost a noticeable share of the
 * engine's CPU. One deadline for every request, so the oldest is always first. `stop` ends them all at once.
 */
export class Deadlines {
  private readonly open = new Map<AbortController, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly deadlineMs: number,
    private readonly stop?: AbortSignal,
  ) {
    stop?.addEventListener("abort", () => this.end(INTERRUPTED), { once: true });
  }

  /** A signal that aborts at the deadline (reason `FAULTLINE_DEADLINE`) or on the stop (`FAULTLINE_INTERRUPTED`). */
  start(): AbortController {
    const c = new AbortController();
    if (this.stop?.aborted) c.abort(INTERRUPTED);
    else this.open.set(c, Date.now() + this.deadlineMs);
    if (!this.timer) {
      this.timer = setInterval(() => this.sweep(), SWEEP_MS);
      this.timer.unref();
    }
    return c;
  }

  done(c: AbortController): void {
    this.open.delete(c);
    if (this.open.size === 0) this.close();
  }

  private sweep(): void {
    const now = Date.now();
    for (const [c, at] of this.open) {
      if (at > now) break;
      this.open.delete(c);
      c.abort(DEADLINE);
    }
  }

  private end(reason: string): void {
    for (const c of this.open.keys()) c.abort(reason);
    this.open.clear();
    this.close();
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/**
 * Sends one request with a hard deadline and keeps what a check needs; never throws. A request the stop
 * ended early (the run was interrupted) has the error `INTERRUPTED`.
 */
export async function sendSample(
  agent: Agent,
  baseUrl: string,
  id: string,
  req: RequestSpec,
  deadlines: Deadlines,
): Promise<Sample> {
  const sentAt = Date.now();
  const started = performance.now();
  const ctl = deadlines.start();
  const { signal } = ctl;
  const s: Sample = { id, sentAt, elapsedMs: 0, headers: {}, raw: "", timedOut: false };
  try {
    const res = await request(baseUrl + req.path, {
      method: req.method as "POST",
      headers: req.headers,
      body: req.body,
      signal,
      dispatcher: agent,
      headersTimeout: deadlines.deadlineMs,
      bodyTimeout: deadlines.deadlineMs,
    });
    s.status = res.statusCode;
    s.headers = lower(res.headers);
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const c of res.body) {
        const b = c as Buffer;
        if (size < MAX_SAMPLE_BODY) chunks.push(b.subarray(0, MAX_SAMPLE_BODY - size));
        size += b.length;
      }
    } catch (e) {
      s.error = describe(e, signal);
    }
    s.raw = chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8");
  } catch (e) {
    s.error = describe(e, signal);
  } finally {
    deadlines.done(ctl);
  }
  s.timedOut = signal.aborted && signal.reason === DEADLINE;
  s.elapsedMs = Math.round(performance.now() - started);
  return s;
}

function describe(e: unknown, signal: AbortSignal): { code: string; message: string } {
  if (signal.reason === DEADLINE) return { code: DEADLINE, message: "the harness gave up at its deadline" };
  if (signal.reason === INTERRUPTED)
    return { code: INTERRUPTED, message: "the run was interrupted while the request was out" };
  const err = e as { code?: string; message?: string; cause?: { code?: string } };
  return { code: err.code ?? err.cause?.code ?? "ERROR", message: err.message ?? String(e) };
}

/**
 * Before the scenario, this long at the run's rate with every provider healthy, not judged: connections are
 * opened and code is warm when the outage starts, as a load test's warm-up phase does, so a cold start is
 * not mistaken for the gateway's behaviour in the first phase.
 */
export const WARM_UP_MS = 2_000;

/** The default engine: in this process, open loop, no dependency beyond undici. */
export const builtinEngine: LoadEngine = {
  name: "builtin",
  async drive(o: DriveOptions): Promise<DriveStats> {
    const agent = outageAgent();
    const stop = o.signal;
    const deadlines = new Deadlines(o.deadlineMs, stop);
    try {
      const warm = Date.now();
      await openLoop({
        rate: o.rate,
        startAt: warm,
        endAt: warm + WARM_UP_MS,
        signal: stop,
        async fire(i) {
          // Not `<runId>.<n>`: the journal feed leaves these out.
          const id = `${o.runId}w.${i}`;
          await sendSample(agent, o.gateway, id, requestFor(o.template, id), deadlines);
        },
      });
      if (stop?.aborted)
        return {
          engine: "builtin",
          sent: 0,
          heldBack: 0,
          maxLagMs: 0,
          notes: ["interrupted in the warm-up"],
        };
      const startAt = await o.begin();
      const endAt = startAt + o.durationMs;
      let cut = 0;
      const stats = await openLoop({
        rate: o.rate,
        startAt,
        endAt,
        signal: stop,
        extend: (plannedEnd) =>
          plannedEnd < endAt + o.maxExtensionMs && o.keepGoing() ? plannedEnd + 1_000 : undefined,
        async fire(i) {
          const id = `${o.runId}.${i + 1}`;
          o.onSend?.(Date.now());
          const s = await sendSample(agent, o.gateway, id, requestFor(o.template, id), deadlines);
          if (s.error?.code === INTERRUPTED) cut++;
          else o.onSample(s);
        },
      });
      return {
        engine: "builtin",
        sent: stats.sent - cut,
        heldBack: stats.heldBack,
        maxLagMs: stats.maxLagMs,
        ...(cut ? { cut } : {}),
        notes: [],
      };
    } finally {
      deadlines.close();
      await agent.close();
    }
  },
};
