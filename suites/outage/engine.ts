import type { RequestSpec } from "../harness/types.ts";
import type { Sample } from "./sample.ts";

/** What a load engine is told: where to send, how fast, for how long, and where samples go. */
export interface DriveOptions {
  gateway: string;
  /** The request every client sends; `{{faultline.outage}}` in its body becomes the request's marker. */
  template: RequestSpec;
  runId: string;
  rate: number;
  /** Planned traffic length (ms), from the first request. */
  durationMs: number;
  /** The most traffic may be extended by, while recovery is not yet decided (ms). */
  maxExtensionMs: number;
  /** Asked at the planned end and every second after: whether to keep going (recovery not yet decided). */
  keepGoing(): boolean;
  /** The harness's deadline for one answer. */
  deadlineMs: number;
  /** Called once, right before the first request: starts the scenario and answers its start (epoch ms). */
  begin(): Promise<number>;
  onSample(s: Sample): void;
  /** Told when a request goes out (epoch ms), where the engine can: live recovery tracking uses it. */
  onSend?(sentAt: number): void;
  /** Progress lines for the console. */
  say(line: string): void;
  /**
   * Aborted when the run is interrupted (Ctrl-C, SIGTERM): the engine stops sending, ends what is in flight
   * and returns what it has, so the partial run is still judged and reported.
   */
  signal?: AbortSignal;
}

export interface DriveStats {
  engine: string;
  sent: number;
  /** Requests the engine could not send on time (saturated), counted rather than hidden. */
  heldBack: number;
  /** The worst lateness of a request against its schedule (ms): the engine itself could not keep up. */
  maxLagMs: number;
  /** Requests in flight when the run was interrupted: ended by the harness, so not judged. */
  cut?: number;
  /** Extra detail for the report (the Artillery command and its summary). */
  notes: string[];
}

/** A load engine: the built-in open loop (driver.ts) or Artillery (artillery.ts). */
export interface LoadEngine {
  name: string;
  drive(o: DriveOptions): Promise<DriveStats>;
}
