import { type ChatContext, enterGate } from "./admit.ts";
import { type Failure, failover } from "./failover.ts";
import type { StopReason } from "./guard.ts";
import type { Upstream } from "./options.ts";
import { sendError, sendJson, sendRaw } from "./respond.ts";
import { relayStream } from "./stream.ts";
import type { ChatRequest } from "./validate.ts";

export type { ChatContext } from "./admit.ts";

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
  // Our own words: which providers failed and how, never what they said (docs/contract.md §7).
  let message = `All providers failed to handle the request (${failures.map((f) => `${f.provider}: ${f.reason}`).join("; ")})`;
  if (c.defects.has("leak_key") && last)
    message += ` [sent Authorization: Bearer ${c.opts.upstreamKey(last.provider)}]`;
  if (c.defects.has("leak_upstream_url") && last)
    message += ` [last tried ${c.opts.upstreams.find((u) => u.name === last.provider)?.baseUrl}]`;
  const spec = c.reply.contract.exhausted(message);
  spec.retryAfterS = c.policy.exhaustedRetryAfterS(failures, c.opts.retryAfterS);
  sendError(c.reply, spec);
}

export async function handleChat(c: ChatContext): Promise<void> {
  const chat = await c.policy.admit(c);
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
      headersFor: (u: Upstream) => c.policy.upstreamHeaders(c, chat.stream, u),
      stops,
      attemptTimeoutMs: noDeadline ? undefined : c.opts.attemptTimeoutMs,
      defects: c.defects,
      breakers: c.breakers,
      askAgain: c.policy.askAgain,
    });
    switch (out.kind) {
      case "client_gone":
        return;
      case "completion":
        sendJson(c.reply, 200, c.codec.fromCompletion(out.completion, chat.model, c.reply.requestId));
        return;
      case "stream": {
        const limits = c.policy.streamLimits(c.opts);
        if (!limits.untilDeadline) clearTimeout(timer);
        await relayStream(
          {
            reply: c.reply,
            reader: out.reader,
            first: out.first,
            guard: out.guard,
            encoder: c.codec.encoder(chat.model, c.reply.requestId),
            idleTimeoutMs: noDeadline ? undefined : limits.idleTimeoutMs,
            defects: c.defects,
            crash: c.crash,
            errorFrames: c.policy.streamErrorFrames,
          },
          (kind, why) => (kind === "upstream" ? contract.upstream(502, why) : contract.exhausted(why)),
        );
        return;
      }
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
