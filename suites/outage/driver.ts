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

/** Sends one request with a hard deadline and keeps what a check needs; never throws. */
export async function sendSample(
  agent: Agent,
  baseUrl: string,
  id: string,
  req: RequestSpec,
  deadlineMs: number,
): Promise<Sample> {
  const sentAt = Date.now();
  const started = performance.now();
  const signal = AbortSignal.timeout(deadlineMs);
  const s: Sample = { id, sentAt, elapsedMs: 0, headers: {}, raw: "", timedOut: false };
  try {
    const res = await request(baseUrl + req.path, {
      method: req.method as "POST",
      headers: req.headers,
      body: req.body,
      signal,
      dispatcher: agent,
      headersTimeout: deadlineMs,
      bodyTimeout: deadlineMs,
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
    s.raw = Buffer.concat(chunks).toString("utf8");
  } catch (e) {
    s.error = describe(e, signal);
  }
  s.timedOut = signal.aborted;
  s.elapsedMs = Math.round(performance.now() - started);
  return s;
}

function describe(e: unknown, signal: AbortSignal): { code: string; message: string } {
  if (signal.aborted) return { code: "FAULTLINE_DEADLINE", message: "the harness gave up at its deadline" };
  const err = e as { code?: string; message?: string; cause?: { code?: string } };
  return { code: err.code ?? err.cause?.code ?? "ERROR", message: err.message ?? String(e) };
}

/** The default engine: in this process, open loop, no dependency beyond undici. */
/**
 * Before the scenario, this long at the run's rate with every provider healthy, not judged: connections are
 * opened and code is warm when the outage starts, as a load test's warm-up phase does, so a cold start is
 * not mistaken for the gateway's behaviour in the first phase.
 */
export const WARM_UP_MS = 2_000;

export const builtinEngine: LoadEngine = {
  name: "builtin",
  async drive(o: DriveOptions): Promise<DriveStats> {
    const agent = outageAgent();
    try {
      const warm = Date.now();
      await openLoop({
        rate: o.rate,
        startAt: warm,
        endAt: warm + WARM_UP_MS,
        async fire(i) {
          // Not `<runId>.<n>`: the journal feed leaves these out.
          const id = `${o.runId}w.${i}`;
          await sendSample(agent, o.gateway, id, requestFor(o.template, id), o.deadlineMs);
        },
      });
      const startAt = await o.begin();
      const endAt = startAt + o.durationMs;
      const stats = await openLoop({
        rate: o.rate,
        startAt,
        endAt,
        extend: (plannedEnd) =>
          plannedEnd < endAt + o.maxExtensionMs && o.keepGoing() ? plannedEnd + 1_000 : undefined,
        async fire(i) {
          const id = `${o.runId}.${i + 1}`;
          o.onSend?.(Date.now());
          o.onSample(await sendSample(agent, o.gateway, id, requestFor(o.template, id), o.deadlineMs));
        },
      });
      return {
        engine: "builtin",
        sent: stats.sent,
        heldBack: stats.heldBack,
        maxLagMs: stats.maxLagMs,
        notes: [],
      };
    } finally {
      await agent.close();
    }
  },
};
