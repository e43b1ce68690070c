import { once } from "node:events";
import type { ErrorSpec } from "./error-spec.ts";
import type { StreamEncoder } from "./families/index.ts";
import type { AttemptGuard } from "./guard.ts";
import type { StreamPolicy } from "./policy/stream.ts";
import type { Responder } from "./respond.ts";
import type { SseReader } from "./sse.ts";

export interface Relay {
  reply: Responder;
  reader: SseReader;
  first: Record<string, unknown>;
  guard: AttemptGuard;
  /** Frames the providers' OpenAI chunks in the client's dialect. */
  encoder: StreamEncoder;
  /** Longest silence between two upstream events; undefined: wait as long as the other signals allow. */
  idleTimeoutMs: number | undefined;
  /** Stops the whole gateway; handed to the policy's `onStreamReset`. */
  crash: () => void;
  /** How events are framed and how a broken stream ends (policy/stream.ts). */
  policy: StreamPolicy;
}

type Next =
  | { done: true }
  | { chunk: Record<string, unknown> }
  | { broken: "transport" | "upstream"; why: string; reset?: boolean };

async function nextEvent(reader: SseReader): Promise<Next> {
  let data: string | undefined;
  try {
    data = await reader.next();
  } catch (e) {
    // A TCP RST (ECONNRESET), as opposed to a socket closed mid-body: only the former is a "reset".
    const err = e as { code?: string; cause?: { code?: string } };
    const reset = (err.code ?? err.cause?.code) === "ECONNRESET";
    return { broken: "transport", why: "The provider's stream broke off", reset };
  }
  if (data === undefined)
    return { broken: "transport", why: "The provider's stream ended before it was complete" };
  if (data === "[DONE]") return { done: true };
  try {
    const v: unknown = JSON.parse(data);
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not an object");
    if ("error" in v) return { broken: "upstream", why: "The provider reported an error mid-stream" };
    return { chunk: v as Record<string, unknown> };
  } catch {
    return { broken: "transport", why: "The provider sent an unreadable stream event" };
  }
}

/**
 * Relays a committed stream event by event. Once the 200 is out the gateway can no longer fail over,
 * so a break becomes an error event in the gateway's own envelope, and the stream ends without the
 * dialect's terminator (`[DONE]`, `message_stop`, a finishReason chunk), as the providers' own streams do
 * when they fail (docs/contract.md §15).
 */
export async function relayStream(
  r: Relay,
  breakSpec: (kind: "transport" | "upstream", why: string) => ErrorSpec,
) {
  const { res, requestId } = r.reply;
  const write = async (raw: string) => {
    if (!res.write(r.policy.streamFrame(raw))) await once(res, "drain", { signal: r.guard.signal });
  };
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "x-request-id": requestId,
  });
  try {
    let chunk: Record<string, unknown> | undefined = r.first;
    let next: Next;
    const opening = r.encoder.open();
    if (opening) await write(opening);
    for (;;) {
      const frame = r.encoder.chunk(chunk);
      if (frame) await write(frame);
      r.guard.arm(r.idleTimeoutMs);
      next = await nextEvent(r.reader);
      if (!("chunk" in next)) break;
      chunk = next.chunk;
    }
    if (r.guard.reason === "client") return;
    if ("reset" in next && next.reset && r.policy.onStreamReset(r.crash)) {
      res.destroy();
      return;
    }
    if ("done" in next) {
      res.end(r.encoder.close());
      return;
    }
    const why =
      r.guard.reason === undefined
        ? next.why
        : "The provider's stream stalled past the gateway's time limits";
    const spec = breakSpec(next.broken, why);
    const body = r.reply.contract.render(spec, requestId);
    // No waiting for drain here: the guard may already be spent, and these are the last bytes.
    res.write(r.policy.streamErrorFrames(r.encoder, body, spec));
    res.end();
  } catch {
    // The client went away while we waited to write: nothing left to tell it.
    res.destroy();
  } finally {
    r.guard.dispose();
    await r.reader.close().catch(() => {});
  }
}
