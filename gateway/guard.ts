/** Why an upstream attempt stopped early. */
export type StopReason = "client" | "deadline" | "timeout";

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
    this.controller.abort();
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const u of this.unlinks.splice(0)) u();
  }
}
