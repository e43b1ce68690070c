import type { IncomingMessage } from "node:http";
import type { Dispatcher } from "undici";
import { readJsonBody } from "./body.ts";
import type { ConcurrencyGate } from "./concurrency.ts";
import { type ErrorSpec, GatewayError } from "./contract.ts";
import { type Failure, failover } from "./failover.ts";
import type { ChatRoute, ClientCodec } from "./families/index.ts";
import type { StopReason } from "./guard.ts";
import { closestModel } from "./hints.ts";
import type { ResolvedOptions, Upstream } from "./options.ts";
import { type Responder, sendError, sendJson, sendRaw } from "./respond.ts";
import { relayStream } from "./stream.ts";
import type { ChatRequest } from "./validate.ts";

export interface ChatContext {
  req: IncomingMessage;
  reply: Responder;
  opts: ResolvedOptions;
  defects: ReadonlySet<string>;
  dispatcher: Dispatcher;
  /** The client's key, already authenticated. */
  key: string;
  /** Aborts when the client goes away or the gateway closes. */
  client: AbortSignal;
  /** The endpoint family's dialect, and what its path says (Gemini: model, streaming). */
  codec: ClientCodec;
  route: ChatRoute;
  gate: ConcurrencyGate;
}

/** A field's own code where the profile names one (seed 002 lines 143-160), else the request.invalid code. */
function invalidSpec(c: ChatContext, v: { param?: string; field?: string; message: string }): ErrorSpec {
  const { contract } = c.reply;
  if (c.defects.has("field_generic")) return contract.condition("request.invalid", v.message);
  const spec = contract.condition("request.invalid", v.message, { param: v.param });
  const fieldCode = v.field === undefined ? undefined : contract.profile.fieldCodes[v.field];
  if (fieldCode) {
    spec.code = fieldCode;
    spec.status = contract.statusOf(fieldCode, spec.status);
  }
  if (c.defects.has("unlisted_code")) spec.code = "BAD_PARAMS";
  return spec;
}

/** Body, validation, model catalogue and key fixtures, in the order the brief ranks them. */
async function admit(c: ChatContext): Promise<ChatRequest> {
  const { contract } = c.reply;
  const limit = contract.profile.limits.maxBodyBytes ?? c.opts.maxBodyBytes;
  const body = await readJsonBody(c.req, limit);
  if (!body.ok) {
    const spec = contract.condition(body.condition, body.message);
    if (body.condition === "request.malformed_json" && c.defects.has("malformed_json_500")) spec.status = 500;
    throw new GatewayError(spec);
  }
  const v = c.codec.toChat(body.value, c.route);
  if (!v.ok) throw new GatewayError(invalidSpec(c, v));
  const model = v.request.model;
  if (c.opts.disabledModels.includes(model)) {
    throw new GatewayError(contract.condition("model.disabled", `Model ${model} is currently disabled`));
  }
  if (!c.opts.models.includes(model) && !c.defects.has("unknown_model_200")) {
    const cond = c.defects.has("unknown_model_as_invalid") ? "request.invalid" : "model.unknown";
    // A hard-coded suggestion is what the did_you_mean_bogus defect answers: a model nobody serves here.
    const didYouMean = c.defects.has("did_you_mean_bogus") ? "gpt-4o" : closestModel(model, c.opts.models);
    const spec = contract.condition(cond, `Model ${model} does not exist`, { param: "model", didYouMean });
    throw new GatewayError(spec);
  }
  if (c.key === c.opts.brokeKey) {
    throw new GatewayError(contract.condition("balance.insufficient", "Account balance too low"));
  }
  if (c.key === c.opts.limitedKey) {
    throw new GatewayError(contract.condition("rate.limited", "Too many requests: wait before retrying"));
  }
  return v.request;
}

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
  sendError(c.reply, c.reply.contract.exhausted(message));
}

/** Holds one of the key's concurrency slots until the answer is complete; refuses when none is free. */
function enterGate(c: ChatContext): () => void {
  const slot = c.gate.enter(c.key);
  if (typeof slot === "function") return slot;
  const message = `Too many requests in flight for this key (${slot.active_requests} of ${slot.concurrency_limit})`;
  throw new GatewayError(c.reply.contract.condition("concurrency.limited", message, { extra: { ...slot } }));
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
