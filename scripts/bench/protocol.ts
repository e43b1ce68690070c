import type { LatencySummary } from "./stats.ts";

/** One request shape the load generator repeats. */
export interface Target {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** Bodies sent in turn instead of `body`: every request differs from the one before. */
  bodies?: string[];
}

/** A closed loop: `connections` workers, each sending its next request when the last one is read. */
export interface ThroughputJob {
  kind: "throughput";
  target: Target;
  connections: number;
  warmupMs: number;
  durationMs: number;
}

/** `concurrency` requests at once, `rounds` times, after one warm-up round that opens the sockets. */
export interface BurstJob {
  kind: "burst";
  target: Target;
  concurrency: number;
  rounds: number;
}

export type LoadJob = ThroughputJob | BurstJob;

export interface ThroughputResult {
  kind: "throughput";
  requests: number;
  /** Including the warm-up, to divide the server's CPU time by. */
  totalRequests: number;
  errors: number;
  /** Answers whose status differs from the first one seen (a 429 storm must stay 429). */
  statuses: Record<string, number>;
  elapsedMs: number;
  reqPerS: number;
  bytesPerRequest: number;
  latencyMs: LatencySummary;
}

export interface BurstResult {
  kind: "burst";
  requests: number;
  /** Including the warm-up round. */
  totalRequests: number;
  errors: number;
  /** Wall time of each round, first request sent to last body read. */
  roundWallMs: number[];
  /**
   * When the warm-up round's last answer had been read, in epoch ms (performance.timeOrigin + now(),
   * one clock for every process): requests arriving from then on are the measured rounds'.
   */
  measuredFrom: number;
  latencyMs: LatencySummary;
}

export type LoadResult = ThroughputResult | BurstResult;

/** What the server child reports: its address, and its footprint on request. */
export type ServerMessage =
  | { type: "ready"; url: string; rssBytes: number }
  | { type: "profile"; path?: string }
  | {
      type: "usage";
      rssBytes: number;
      /** The canary's own CPU left out (canary.ts). */
      cpuUserMs: number;
      cpuSystemMs: number;
      /** The canary's reading (CPU µs of its fixed work), when asked for one. */
      canaryUs?: number;
      journal?: { size: number; dropped: number };
      /** Arrival to last byte written, per request since the previous usage message. */
      servedMs: LatencySummary;
      /** How late the server's event loop ran since the previous usage message. */
      loopDelayMs: LatencySummary;
    };

/** The answer the bare server replays, captured from the mock. */
export interface Canned {
  status: number;
  headers: Record<string, string>;
  /** Written one write per piece, as the mock writes SSE events. */
  pieces: string[];
  delayMs: number;
}
