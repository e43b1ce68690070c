import { Readable } from "node:stream";
import nock from "nock";
import type { MockEngine } from "../engine.ts";
import {
  type Answer,
  answer,
  engineOf,
  hang,
  type InProcessOptions,
  mockRequest,
  nextTurn,
  normaliseBaseUrl,
  socketError,
  wait,
} from "../inprocess.ts";
import type { Reply } from "../types.ts";

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
      const result = await play(await answer(engine, req, opts.control), pending.signal);
      return result as nock.ReplyFnResult;
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

/**
 * Plays a Reply as nock's `[status, body, headers]`. A rejected reply function destroys the request
 * with that error (nock lib/playback_interceptor.js), which is what `replyWithError` does, chosen per attempt.
 */
async function play(
  { reply, settle }: Answer,
  signal: AbortSignal,
): Promise<[number, unknown, Record<string, string>]> {
  if (reply.delayMs && !(await wait(reply.delayMs, signal))) {
    settle("client_closed");
    throw socketError("empty");
  }
  if (reply.fault === "hang") {
    await hang(signal);
    settle("client_closed");
    throw socketError("empty");
  }
  if (reply.fault) {
    settle("fault");
    throw socketError(reply.fault === "reset" ? "reset" : "empty");
  }
  if (!reply.chunks && reply.end !== "hang") {
    settle("answered");
    return [reply.status, reply.body ?? "", reply.headers];
  }
  return [reply.status, bodyStream(reply, signal, settle), reply.headers];
}

/**
 * A Readable fed by timers: each chunk after its own delay, then the end the Reply asks for. It starts
 * on nock's first read, once nock listens for its errors.
 */
function bodyStream(reply: Reply, signal: AbortSignal, settle: Answer["settle"]): Readable {
  const chunks = reply.chunks ?? (reply.body ? [{ data: reply.body }] : []);
  let started = false;
  const stream: Readable = new Readable({
    read() {
      if (started) return;
      started = true;
      feed().catch((e: Error) => stream.destroy(e));
    },
  });
  async function feed(): Promise<void> {
    for (const c of chunks) {
      if (c.delayMs && !(await wait(c.delayMs, signal))) {
        settle("client_closed");
        stream.destroy(socketError("cut"));
        return;
      }
      if (stream.destroyed) return settle("client_closed");
      stream.push(c.data);
    }
    const end = reply.end ?? "finish";
    if (end === "finish") {
      settle("answered");
      stream.push(null);
      return;
    }
    if (end === "hang") {
      await hang(signal);
      settle("client_closed");
      stream.destroy(socketError("cut"));
      return;
    }
    // Destroying discards what is still buffered; let the chunks reach the caller first.
    for (let i = 0; i < 100 && stream.readableLength > 0; i++) await nextTurn();
    await nextTurn();
    settle("fault");
    stream.destroy(socketError(end));
  }
  return stream;
}
