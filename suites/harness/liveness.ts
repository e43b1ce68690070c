import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

/**
 * Whether the gateway still accepts connections and answers HTTP (docs/contract.md §17). Any status
 * counts as alive: the probe asks only "are you there?", never "are you right?".
 */
export type Probe =
  | { up: true; status: number; elapsedMs: number }
  | {
      up: false;
      /** `refused`: nothing listens; `unanswered`: no HTTP answer within the deadline; `error`: anything else. */
      state: "refused" | "unanswered" | "error";
      detail: string;
      elapsedMs: number;
    };

/**
 * One TCP connect and one `GET` on the gateway's base path over a fresh connection (a pooled keep-alive
 * socket could hide a server that no longer accepts connections), with a deadline. Never throws.
 */
export function probeGateway(target: { gateway: string }, deadlineMs: number): Promise<Probe> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise<Probe>((resolve) => {
    let url: URL;
    try {
      url = new URL(target.gateway);
    } catch {
      resolve({ up: false, state: "error", detail: `not a URL: ${target.gateway}`, elapsedMs: 0 });
      return;
    }
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    let settled = false;
    const done = (p: Probe) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(p);
    };
    const req = send(url, { method: "GET", agent: false, headers: { connection: "close" } }, (res) => {
      res.resume();
      done({ up: true, status: res.statusCode ?? 0, elapsedMs: elapsed() });
    });
    const timer = setTimeout(
      () =>
        done({
          up: false,
          state: "unanswered",
          detail: `no HTTP answer within ${deadlineMs} ms`,
          elapsedMs: elapsed(),
        }),
      deadlineMs,
    );
    req.on("error", (e: NodeJS.ErrnoException) =>
      done({
        up: false,
        state: e.code === "ECONNREFUSED" ? "refused" : "error",
        detail: `${e.code ?? "ERROR"}: ${e.message}`,
        elapsedMs: elapsed(),
      }),
    );
    req.end();
  });
}

/** Polls until the gateway answers again or `waitMs` has passed: the time a supervisor gets to restart it. */
export async function awaitRestart(
  target: { gateway: string },
  waitMs: number,
  probeDeadlineMs: number,
  pollMs = 250,
): Promise<Probe> {
  const until = Date.now() + waitMs;
  for (;;) {
    const left = until - Date.now();
    const p = await probeGateway(target, Math.max(1, Math.min(probeDeadlineMs, left)));
    if (p.up || Date.now() + pollMs >= until) return p;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** A case as the watchdog remembers it: enough to name it as LIVE-001's finding. */
export interface Mark<T> {
  value: T;
  /** The transport error the case ended with, if any. */
  errorCode?: string;
}

export type Health<T> =
  /** The gateway answered the probe. */
  | { state: "up" }
  /** It was down (`culprit` is the case before the first refusal) and came back within the wait. */
  | { state: "recovered"; culprit?: T; detail: string }
  /** It was down and did not come back: the run stops. */
  | { state: "gone"; culprit?: T; detail: string };

/**
 * Watches one gateway for a run. After any case that ends in a transport error, and between
 * properties, the runner asks `check`; concurrent callers share one probe-and-wait, so a crash is
 * found once and blamed on one case.
 */
export class Watchdog<T> {
  private last?: Mark<T>;
  private pending?: Promise<Health<T>>;
  private down?: Health<T>;

  constructor(
    private readonly target: { gateway: string },
    private readonly opts: {
      probeDeadlineMs: number;
      restartWaitMs: number;
      /** Called once per time the gateway is found down, before the wait for a restart. */
      onDown?(culprit: T | undefined, detail: string): void;
    },
  ) {}

  /** Set once the gateway was found down and did not come back: the run stops. */
  get gone(): Health<T> | undefined {
    return this.down;
  }

  /** Remembers a case that reached the gateway: the suspect if the next connection is refused. */
  reached(mark: Mark<T>): void {
    if (mark.errorCode !== "ECONNREFUSED") this.last = mark;
  }

  /**
   * Probes the gateway. `suspect` is the case that just ended in a transport error: it is the culprit
   * when it had a connection (it did not start against a gateway already down); otherwise the last
   * case that reached the gateway is.
   */
  check(suspect?: Mark<T>): Promise<Health<T>> {
    if (this.down) return Promise.resolve(this.down);
    if (this.pending) return this.pending;
    this.pending = this.probe(suspect).finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async probe(suspect?: Mark<T>): Promise<Health<T>> {
    const refused = suspect?.errorCode === "ECONNREFUSED";
    const first = await probeGateway(this.target, this.opts.probeDeadlineMs);
    // A refused connection means the gateway was down when the case started, even if it is back now.
    if (first.up && !refused) return { state: "up" };
    const culprit = (suspect && !refused ? suspect : this.last)?.value;
    this.last = undefined;
    const detail = first.up
      ? `${suspect?.errorCode}: the gateway refused a connection, then came back`
      : first.detail;
    this.opts.onDown?.(culprit, detail);
    const back = first.up
      ? first
      : await awaitRestart(this.target, this.opts.restartWaitMs, this.opts.probeDeadlineMs);
    if (back.up) return { state: "recovered", culprit, detail };
    this.down = { state: "gone", culprit, detail };
    return this.down;
  }
}
