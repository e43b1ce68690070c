import { Client, Dispatcher } from "undici";

/**
 * The gateway's connections to its providers: per origin, a stack of idle undici Clients (one connection
 * each), so an attempt takes one in constant time however many are open.
 *
 * undici's own Pool scans every client it ever opened for a free one on each request, and never drops a
 * client. A brownout leaves thousands of attempts hanging at once, so the pool grows to thousands and
 * every later attempt paid for a scan of all of them: at 500 requests per second that scan alone pushed
 * the gateway past its deadline. The last client freed is the first reused, so its connection is the one
 * most likely still open. At most `maxIdle` clients wait per origin: a burst of thousands would otherwise
 * leave thousands of Client objects behind for good, their sockets long closed; the rest are closed as
 * they come free.
 */
export class UpstreamPool extends Dispatcher {
  private readonly idle = new Map<string, Client[]>();
  private readonly clients = new Set<Client>();
  private closed = false;
  private readonly maxIdle: number;

  constructor(
    private readonly options: Client.Options,
    limits: { maxIdle?: number } = {},
  ) {
    super();
    this.maxIdle = limits.maxIdle ?? 256;
  }

  /** Clients open now, busy or idle (for tests and diagnostics). */
  get size(): number {
    return this.clients.size;
  }

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    if (this.closed) {
      handler.onError?.(new Error("the gateway is closing"));
      return false;
    }
    const origin = String(opts.origin);
    let stack = this.idle.get(origin);
    if (!stack) {
      stack = [];
      this.idle.set(origin, stack);
    }
    const client = stack.pop() ?? this.open(origin);
    return client.dispatch(opts, new Releasing(handler, () => this.release(stack, client)));
  }

  private release(stack: Client[], client: Client): void {
    if (this.closed) return;
    if (stack.length < this.maxIdle) {
      stack.push(client);
      return;
    }
    this.clients.delete(client);
    // Closed once its request is done with it: close() waits for what the client still has queued.
    void client.close().catch(() => undefined);
  }

  private open(origin: string): Client {
    const client = new Client(origin, this.options);
    this.clients.add(client);
    return client;
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    const done = this.shut((c) => c.close());
    if (!callback) return done;
    void done.then(callback);
  }

  override destroy(err: Error | null, callback: () => void): void;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null): Promise<void>;
  override destroy(): Promise<void>;
  override destroy(a?: Error | null | (() => void), b?: () => void): Promise<void> | void {
    const err = typeof a === "function" ? null : (a ?? null);
    const callback = typeof a === "function" ? a : b;
    const done = this.shut((c) => c.destroy(err));
    if (!callback) return done;
    void done.then(callback);
  }

  private async shut(each: (c: Client) => Promise<void>): Promise<void> {
    this.closed = true;
    this.idle.clear();
    const all = [...this.clients];
    this.clients.clear();
    await Promise.all(all.map((c) => each(c).catch(() => undefined)));
  }
}

/** Hands every callback on unchanged and gives the client back once its request has ended, either way. */
class Releasing implements Dispatcher.DispatchHandler {
  private released = false;

  constructor(
    private readonly inner: Dispatcher.DispatchHandler,
    private readonly release: () => unknown,
  ) {}

  private free(): void {
    if (this.released) return;
    this.released = true;
    this.release();
  }

  onConnect(abort: (err?: Error) => void, context?: unknown): void {
    (this.inner.onConnect as ((a: typeof abort, c?: unknown) => void) | undefined)?.call(
      this.inner,
      abort,
      context,
    );
  }
  onResponseStarted(): void {
    this.inner.onResponseStarted?.();
  }
  onHeaders(status: number, headers: Buffer[], resume: () => void, text: string): boolean {
    return this.inner.onHeaders?.(status, headers, resume, text) ?? true;
  }
  onData(chunk: Buffer): boolean {
    return this.inner.onData?.(chunk) ?? true;
  }
  onUpgrade(status: number, headers: Buffer[] | string[] | null, socket: import("node:stream").Duplex): void {
    this.inner.onUpgrade?.(status, headers, socket);
  }
  onBodySent(size: number, total: number): void {
    this.inner.onBodySent?.(size, total);
  }
  onComplete(trailers: string[] | null): void {
    this.free();
    this.inner.onComplete?.(trailers);
  }
  onError(err: Error): void {
    this.free();
    this.inner.onError?.(err);
  }
}
