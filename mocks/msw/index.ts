import { type HttpHandler, HttpResponse, http } from "msw";
import type { MockEngine } from "../engine.ts";
import {
  type Answer,
  answer,
  engineOf,
  hang,
  type InProcessOptions,
  isNullBodyStatus,
  mockRequest,
  nextTurn,
  normaliseBaseUrl,
  socketError,
  wait,
} from "../inprocess.ts";
import type { Reply } from "../types.ts";

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

/** Turns a Reply into a web Response; faults msw cannot put on a socket become network errors. */
export async function toResponse({ reply, settle }: Answer, signal: AbortSignal): Promise<Response> {
  if (reply.delayMs && !(await wait(reply.delayMs, signal))) {
    settle("client_closed");
    return HttpResponse.error();
  }
  if (reply.fault === "hang") {
    await hang(signal);
    settle("client_closed");
    return HttpResponse.error();
  }
  // A web Response has no way to say "RST" or "closed with no bytes": both are a network error.
  if (reply.fault) {
    settle("fault");
    return HttpResponse.error();
  }
  const init = { status: reply.status, headers: reply.headers };
  if (isNullBodyStatus(reply.status)) {
    settle("answered");
    return new HttpResponse(null, init);
  }
  if (!reply.chunks && reply.end !== "hang") {
    settle("answered");
    return new HttpResponse(reply.body ?? "", init);
  }
  return new HttpResponse(bodyStream(reply, signal, settle), init);
}

/** A pull stream, so each chunk's delay starts when the previous chunk has been taken. */
function bodyStream(reply: Reply, signal: AbortSignal, settle: Answer["settle"]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const chunks = reply.chunks ?? (reply.body ? [{ data: reply.body }] : []);
  let next = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = chunks[next++];
      if (chunk) {
        if (chunk.delayMs && !(await wait(chunk.delayMs, signal))) {
          settle("client_closed");
          controller.error(signal.reason);
          return;
        }
        controller.enqueue(encoder.encode(chunk.data));
        return;
      }
      const end = reply.end ?? "finish";
      if (end === "finish") {
        settle("answered");
        controller.close();
      } else if (end === "hang") {
        await hang(signal);
        settle("client_closed");
        controller.error(signal.reason ?? socketError("cut"));
      } else {
        await nextTurn();
        settle("fault");
        controller.error(terminated(end));
      }
    },
    cancel() {
      settle("client_closed");
    },
  });
}

/** undici rejects a body read on a dropped socket with `TypeError: terminated` and the socket error as cause. */
function terminated(end: "cut" | "reset"): TypeError {
  return Object.assign(new TypeError("terminated"), { cause: socketError(end) });
}
