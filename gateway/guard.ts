/** Why an upstream attempt stopped early. */
export type StopReason = "client" | "deadline" | "timeout";

/**
 * The one reason every stopped attempt is aborted with. `abort()` without one builds a DOMException per
 * call, and undici builds its own errors on top; under a brownout the gateway aborts a thousand or more
 * attempts a second, and a stack trace per error (formatted eagerly by Node's stream destroy, through
 * source maps when run from the sources) was a tenth of its CPU. Which stop came first is `reason`.
 */
const STOPPED = new Error("upstream attempt stopped");
void STOPPED.stack;

/**
 * Aborts without capturing stack traces: the errors undici creates while tearing the attempt down
 * (its `InformationalError("aborted")` for the socket) are internal and never reach a client or a log.
 */
export function abortQuietly(controller: AbortController): void {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    controller.abort(STOPPED);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * One attempt's abort signal: it fires when the client goes away, when the request's deadline passes,
 * or when the attempt's own timer runs out, and remembers which came first so the gateway can tell a
 * slow provider (fail over) from a spent budget (answer now) from a vanished client (answer nothing).
 */
export class AttemptGuard {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private readonly unlinks: Array<() => void> = [];
  reason: StopReason | undefined;

  constructor(parents: Array<[AbortSignal, StopReason]>) {
    for (const [signal, reason] of parents) {
      if (signal.aborted) {
        this.stop(reason);
        continue;
      }
      const onAbort = () => this.stop(reason);
      signal.addEventListener("abort", onAbort, { once: true });
      this.unlinks.push(() => signal.removeEventListener("abort", onAbort));
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** (Re)starts the attempt timer; `undefined` means no timer at all. */
  arm(ms: number | undefined): void {
    clearTimeout(this.timer);
    if (ms !== undefined) this.timer = setTimeout(() => this.stop("timeout"), Math.max(0, ms));
  }

  stop(reason: StopReason): void {
    this.reason ??= reason;
    if (!this.controller.signal.aborted) abortQuietly(this.controller);
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const u of this.unlinks.splice(0)) u();
  }
}
