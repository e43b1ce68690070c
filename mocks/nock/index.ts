import type { ClientRequest, IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import nock from "nock";
import type { MockEngine } from "../engine.ts";
import {
  type Answer,
  answer,
  drained,
  Exchange,
  engineOf,
  type InProcessOptions,
  listening,
  mockRequest,
  normaliseBaseUrl,
  SETTLE,
  socketError,
} from "../inprocess.ts";
import { type FaultKind, type Gone, play, type ReplySink } from "../player.ts";

export interface FaultlineNock {
  engine: MockEngine;
  /** The persisted scope, e.g. to add your own `.matchHeader()` or inspect `.activeMocks()`. */
  scope: nock.Scope;
  /** Stops answering: ends pending hangs and streams and removes this adapter's interceptors. */
  done(): void;
}

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;

/**
 * nock interceptors that answer every path under `baseUrl` from a Faultline engine: the same plans,
 * dialects and journal as the socket server. Transport faults become request errors with Node's
 * codes (see docs/mock.md, "In-process adapters", for what nock cannot express).
 *
 * @example
 * const { engine, done } = faultlineNock({ baseUrl: "https://mock.faultline.test" });
 * const plan = engine.addPlan({ providers: { alpha: ["reset", "ok"] } });
 * // … exercise your gateway code, then:
 * done();
 */
export function faultlineNock(opts: InProcessOptions = {}): FaultlineNock {
  const engine = engineOf(opts);
  const base = normaliseBaseUrl(opts.baseUrl);
  const scope = nock(base.origin).persist();
  // The reply function only sees the body JSON-parsed; the raw text (for the marker and the journal)
  // comes from the scope's "request" event, which nock emits just before calling it
  // (nock lib/playback_interceptor.js, start()).
  const bodies = new WeakMap<object, string>();
  scope.on("request", (req: object, _interceptor: unknown, body: string) => bodies.set(req, body ?? ""));
  // nock does not hand the caller's AbortSignal to reply functions, so pending waits end on done().
  const pending = new AbortController();
  const under = new RegExp(`^${base.prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/`);

  const interceptors = METHODS.map((method) => {
    const interceptor = scope.intercept(under, method);
    interceptor.reply(async function (uri) {
      const headers = Object.entries(this.req.headers ?? {}).map(
        ([k, v]) => [k, Array.isArray(v) ? v.join(", ") : String(v)] as [string, string],
      );
      const req = mockRequest(
        method,
        new URL(uri, base.origin),
        base.prefix,
        headers,
        bodies.get(this.req) ?? "",
      );
      const x = new NockExchange(await answer(engine, req, opts.control), this.req, pending.signal);
      play(x.answer.reply, NOCK_SINK, x, SETTLE, x);
      return (await x.result) as nock.ReplyFnResult;
    });
    return interceptor;
  });

  return {
    engine,
    scope,
    done() {
      pending.abort(new Error("faultlineNock: done() was called"));
      for (const i of interceptors) nock.removeInterceptor(i);
    },
  };
}

type Tuple = [number, unknown, Record<string, string>];

/**
 * One exchange. nock hands a reply function neither the caller's AbortSignal nor its socket: a caller
 * that leaves shows only as nock's response closing under a streamed body, and a stop (`done()`) as the
 * adapter's own signal. A rejected reply function destroys the request with that error
 * (nock lib/playback_interceptor.js), which is what `replyWithError` does, chosen per attempt.
 */
class NockExchange extends Exchange<Tuple> {
  stream: Readable | undefined;
  ended = false;

  constructor(
    a: Answer,
    private readonly req: ClientRequest,
    private readonly host: AbortSignal,
  ) {
    super(a);
  }

  private readonly onHost = () => this.leave("host");
  watch(): void {
    this.host.addEventListener("abort", this.onHost, { once: true });
  }
  unwatch(): void {
    this.host.removeEventListener("abort", this.onHost);
  }
  peek(): Gone | undefined {
    return this.host.aborted ? "host" : undefined;
  }

  /** Streams only: the caller's abort destroys nock's response (nock lib/create_response.js). */
  watchResponse(): void {
    this.req.once("response", (res: IncomingMessage) => {
      res.once("close", () => {
        if (!this.ended) this.leave("client");
      });
    });
  }

  protected release(who: Gone): void {
    // A stop is played by the player as a fault; a caller that left needs nothing more.
    if (who === "client") this.stream?.destroy();
  }
}

/** nock's `[status, body, headers]` as the player's sink; a streamed body is a Readable fed by timers. */
const NOCK_SINK: ReplySink<NockExchange> = {
  ...listening,
  whole(x, status, headers, body) {
    x.ended = true;
    x.resolve([status, body, headers]);
  },
  head(x, status, headers) {
    x.stream = new Readable({ read() {} });
    x.watchResponse();
    x.resolve([status, x.stream, headers]);
  },
  write(x, data) {
    // An empty write puts no bytes on a socket; pushing "" would not either, but says nothing.
    if (data) x.stream?.push(data);
  },
  end(x) {
    x.ended = true;
    x.stream?.push(null);
  },
  fault(x, kind, headSent) {
    x.ended = true;
    if (!headSent) {
      x.reject(socketError(kind === "reset" ? "reset" : "empty"));
      return;
    }
    return breakBody(x, kind);
  },
};

async function breakBody(x: NockExchange, kind: FaultKind): Promise<void> {
  // Destroying discards what is still buffered; let the chunks reach the caller first.
  await drained(() => x.stream?.readableLength ?? 0);
  x.stream?.destroy(socketError(kind === "reset" ? "reset" : "cut"));
}
