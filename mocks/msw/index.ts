import { type HttpHandler, HttpResponse, http } from "msw";
import type { MockEngine } from "../engine.ts";
import {
  type Answer,
  answer,
  drained,
  Exchange,
  engineOf,
  type InProcessOptions,
  isNullBodyStatus,
  listening,
  mockRequest,
  normaliseBaseUrl,
  SETTLE,
  socketError,
} from "../inprocess.ts";
import { type FaultKind, type Gone, play, type ReplySink } from "../player.ts";

export interface FaultlineHandlers {
  engine: MockEngine;
  handlers: HttpHandler[];
}

/**
 * msw handlers that answer `${baseUrl}/*` from a Faultline engine: the same plans, dialects and
 * journal as the socket server. Transport faults become what a web Response can express
 * (see docs/mock.md, "In-process adapters").
 *
 * @example
 * const { engine, handlers } = faultlineHandlers();
 * const server = setupServer(...handlers);
 * server.listen();
 * const plan = engine.addPlan({ providers: { alpha: ["rate_limit", "ok"] } });
 */
export function faultlineHandlers(opts: InProcessOptions = {}): FaultlineHandlers {
  const engine = engineOf(opts);
  const base = normaliseBaseUrl(opts.baseUrl);
  const handler = http.all(`${base.url}/*`, async ({ request }) => {
    const headers: Array<[string, string]> = [];
    request.headers.forEach((value, name) => {
      headers.push([name, value]);
    });
    const req = mockRequest(request.method, new URL(request.url), base.prefix, headers, await request.text());
    return toResponse(await answer(engine, req, opts.control), request.signal);
  });
  return { engine, handlers: [handler] };
}

/** Plays an answer as a web Response; faults msw cannot put on a socket become network errors. */
export function toResponse(a: Answer, signal: AbortSignal): Promise<Response> {
  const x = new MswExchange(a, signal);
  play(a.reply, MSW_SINK, x, SETTLE, x);
  return x.result;
}

const encoder = new TextEncoder();

/** One exchange: the caller's signal, and the body's controller once the head is out. */
class MswExchange extends Exchange<Response> {
  controller: ReadableStreamDefaultController<Uint8Array> | undefined;

  constructor(
    a: Answer,
    private readonly signal: AbortSignal,
  ) {
    super(a);
  }

  private readonly onAbort = () => this.leave("client");
  watch(): void {
    this.signal.addEventListener("abort", this.onAbort, { once: true });
  }
  unwatch(): void {
    this.signal.removeEventListener("abort", this.onAbort);
  }
  peek(): Gone | undefined {
    return this.signal.aborted ? "client" : undefined;
  }

  /** The caller left: nothing waits for this Response any more, so end what is still open. */
  protected release(): void {
    this.resolve(HttpResponse.error());
    try {
      this.controller?.error(this.signal.reason);
    } catch {
      // Already closed or cancelled.
    }
  }
}

/** The body of a streamed answer: pushed by the player as its timers fire, as a socket would carry it. */
function body(x: MswExchange): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      x.controller = controller;
    },
    cancel() {
      x.leave("client");
    },
  });
}

/** A web Response as the player's sink. */
const MSW_SINK: ReplySink<MswExchange> = {
  ...listening,
  whole(x, status, headers, text) {
    x.resolve(new HttpResponse(isNullBodyStatus(status) ? null : text, { status, headers }));
  },
  head(x, status, headers) {
    x.resolve(new HttpResponse(isNullBodyStatus(status) ? null : body(x), { status, headers }));
  },
  write(x, data) {
    // An empty write puts no bytes on a socket, so it gives the reader no chunk either.
    if (data) x.controller?.enqueue(encoder.encode(data));
  },
  end: (x) => x.controller?.close(),
  fault(x, kind, headSent) {
    // A web Response has no way to say "RST" or "closed with no bytes": both are a network error.
    if (!headSent) {
      x.resolve(HttpResponse.error());
      return;
    }
    return breakBody(x, kind);
  },
};

async function breakBody(x: MswExchange, kind: FaultKind): Promise<void> {
  // The queue holds 1 - desiredSize chunks the reader has not taken yet.
  await drained(() => 1 - (x.controller?.desiredSize ?? 1));
  x.controller?.error(terminated(kind));
}

/** undici rejects a body read on a dropped socket with `TypeError: terminated` and the socket error as cause. */
function terminated(kind: FaultKind): TypeError {
  return Object.assign(new TypeError("terminated"), {
    cause: socketError(kind === "reset" ? "reset" : "cut"),
  });
}
