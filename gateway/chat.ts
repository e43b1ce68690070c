import { type ChatContext, enterGate } from "./admit.ts";
import type { ErrorSpec } from "./error-spec.ts";
import { type Failure, failover } from "./failover.ts";
import type { StopReason } from "./guard.ts";
import type { Upstream } from "./options.ts";
import { sendError, sendJson } from "./respond.ts";
import { relayStream } from "./stream.ts";
import type { ChatRequest } from "./validate.ts";

export type { ChatContext } from "./admit.ts";

/** Our own words: which providers failed and how, never what they said (docs/contract.md §7). */
export function exhaustedMessage(_c: ChatContext, failures: Failure[]): string {
  return `All providers failed to handle the request (${failures.map((f) => `${f.provider}: ${f.reason}`).join("; ")})`;
}

/** Every provider failed: the profile's exhaustion code, with the providers' wait where they all asked for one. */
export function answerExhausted(c: ChatContext, _chat: ChatRequest, failures: Failure[]): void {
  const spec = c.reply.contract.exhausted(c.policy.exhaustedMessage(c, failures));
  spec.retryAfterS = c.policy.exhaustedRetryAfterS(failures, c.opts.retryAfterS);
  sendError(c.reply, spec);
}

/** A provider's non-retryable refusal: the profile's upstream code, with the status it keeps. */
export function answerUpstreamError(c: ChatContext, spec: ErrorSpec): void {
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
  const limits = c.policy.timeLimits(c.opts);
  const deadline = new AbortController();
  const timer =
    limits.deadlineMs === undefined ? undefined : setTimeout(() => deadline.abort(), limits.deadlineMs);
  const stops: Array<[AbortSignal, StopReason]> = [
    [c.policy.clientGone(c), "client"],
    [deadline.signal, "deadline"],
  ];
  try {
    const out = await c.policy.upstreamFor(c, chat, () =>
      failover({
        upstreams: c.opts.upstreams,
        dispatcher: c.dispatcher,
        payload: JSON.stringify({ ...chat.body, model: c.opts.upstreamModel }),
        stream: chat.stream,
        headersFor: (u: Upstream) => c.policy.upstreamHeaders(c, chat.stream, u),
        stops,
        attemptTimeoutMs: limits.attemptTimeoutMs,
        breakers: c.breakers,
        policy: c.policy,
      }),
    );
    switch (out.kind) {
      case "client_gone":
        return;
      case "completion":
        sendJson(
          c.reply,
          200,
          c.codec.fromCompletion(c.policy.relayCompletion(out.completion), chat.model, c.reply.requestId),
        );
        return;
      case "stream": {
        if (!limits.streamUntilDeadline) clearTimeout(timer);
        await relayStream(
          {
            reply: c.reply,
            reader: out.reader,
            first: out.first,
            guard: out.guard,
            encoder: c.codec.encoder(chat.model, c.reply.requestId),
            idleTimeoutMs: limits.streamIdleMs,
            crash: c.crash,
            policy: c.policy,
          },
          (kind, why) => (kind === "upstream" ? contract.upstream(502, why) : contract.exhausted(why)),
        );
        return;
      }
      case "upstream_error":
        c.policy.answerUpstreamError(
          c,
          contract.upstream(out.status, `The provider rejected the request (status ${out.status})`),
        );
        return;
      case "upstream_auth":
        sendError(c.reply, contract.condition("auth.invalid", "Invalid API key"));
        return;
      case "exhausted":
        c.policy.answerExhausted(c, chat, out.failures);
        return;
    }
  } finally {
    clearTimeout(timer);
  }
}
