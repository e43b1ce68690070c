import { admit, type ChatContext, enterGate } from "./admit.ts";
import { type Failure, failover } from "./failover.ts";
import type { StopReason } from "./guard.ts";
import type { Upstream } from "./options.ts";
import { sendError, sendJson, sendRaw } from "./respond.ts";
import { relayStream } from "./stream.ts";
import type { ChatRequest } from "./validate.ts";

export type { ChatContext } from "./admit.ts";

function upstreamHeaders(c: ChatContext, stream: boolean) {
  // The plan header is forwarded so plans tied by header (not only by body marker) reach the mock.
  const plan = c.req.headers["x-faultline-plan"];
  return (u: Upstream): Record<string, string> => ({
    "content-type": "application/json",
    accept: stream ? "text/event-stream" : "application/json",
    authorization: `Bearer ${c.opts.upstreamKey(u.name)}`,
    "user-agent": "faultline-reference-gateway",
    ...(typeof plan === "string" ? { "x-faultline-plan": plan } : {}),
  });
}

function answerExhausted(c: ChatContext, chat: ChatRequest, failures: Failure[]): void {
  const last = failures.at(-1);
  if (c.defects.has("exhaustion_no_answer") && !failures.some((f) => f.timedOut)) {
    // The defect: a code path for "every provider failed fast" that forgets to answer.
    c.reply.res.destroy();
    return;
  }
  if (c.defects.has("exhaustion_200")) {
    const created = Math.floor(Date.now() / 1000);
    sendJson(c.reply, 200, {
      id: `chatcmpl-${c.reply.requestId}`,
      object: "chat.completion",
      created,
      model: chat.model,
      choices: [],
    });
    return;
  }
  if (c.defects.has("raw_passthrough") && last?.raw) {
    sendRaw(c.reply, last.raw.status, last.raw.body, last.raw.contentType);
    return;
  }
  // Our own words: which providers failed and how, never what they said (CONTRACTS.md §7).
  let message = `All providers failed to handle the request (${failures.map((f) => `${f.provider}: ${f.reason}`).join("; ")})`;
  if (c.defects.has("leak_key") && last)
    message += ` [sent Authorization: Bearer ${c.opts.upstreamKey(last.provider)}]`;
  if (c.defects.has("leak_upstream_url") && last)
    message += ` [last tried ${c.opts.upstreams.find((u) => u.name === last.provider)?.baseUrl}]`;
  sendError(c.reply, c.reply.contract.exhausted(message));
}

export async function handleChat(c: ChatContext): Promise<void> {
  const chat = await admit(c);
  const release = enterGate(c);
  try {
    await serve(c, chat);
  } finally {
    release();
  }
}

async function serve(c: ChatContext, chat: ChatRequest): Promise<void> {
  const { contract } = c.reply;
  const noDeadline = c.defects.has("no_deadline");
  const deadline = new AbortController();
  const timer = noDeadline ? undefined : setTimeout(() => deadline.abort(), c.opts.deadlineMs);
  const stops: Array<[AbortSignal, StopReason]> = [
    [c.client, "client"],
    [deadline.signal, "deadline"],
  ];
  try {
    const out = await failover({
      upstreams: c.opts.upstreams,
      dispatcher: c.dispatcher,
      payload: JSON.stringify({ ...chat.body, model: c.opts.upstreamModel }),
      stream: chat.stream,
      headersFor: upstreamHeaders(c, chat.stream),
      stops,
      attemptTimeoutMs: noDeadline ? undefined : c.opts.attemptTimeoutMs,
      defects: c.defects,
      breakers: c.breakers,
    });
    switch (out.kind) {
      case "client_gone":
        return;
      case "completion":
        sendJson(c.reply, 200, c.codec.fromCompletion(out.completion, chat.model, c.reply.requestId));
        return;
      case "stream":
        await relayStream(
          {
            reply: c.reply,
            reader: out.reader,
            first: out.first,
            guard: out.guard,
            encoder: c.codec.encoder(chat.model, c.reply.requestId),
            idleTimeoutMs: noDeadline ? undefined : c.opts.attemptTimeoutMs,
            defects: c.defects,
            crash: c.crash,
          },
          (kind, why) => (kind === "upstream" ? contract.upstream(502, why) : contract.exhausted(why)),
        );
        return;
      case "upstream_error": {
        const spec = contract.upstream(
          out.status,
          `The provider rejected the request (status ${out.status})`,
        );
        if (c.defects.has("upstream_status_502")) spec.status = 502;
        if (c.defects.has("error_behind_200"))
          sendJson(c.reply, 200, contract.render(spec, c.reply.requestId));
        else sendError(c.reply, spec);
        return;
      }
      case "upstream_auth":
        sendError(c.reply, contract.condition("auth.invalid", "Invalid API key"));
        return;
      case "exhausted":
        answerExhausted(c, chat, out.failures);
        return;
    }
  } finally {
    clearTimeout(timer);
  }
}
