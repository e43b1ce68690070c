import type { IncomingMessage } from "node:http";
import type { Dispatcher } from "undici";
import { readJsonBody } from "./body.ts";
import type { CircuitBreakers } from "./breaker.ts";
import type { ConcurrencyGate } from "./concurrency.ts";
import { type ErrorSpec, GatewayError } from "./contract.ts";
import type { ChatRoute, ClientCodec } from "./families/index.ts";
import { closestModel } from "./hints.ts";
import type { ResolvedOptions } from "./options.ts";
import type { GatewayPolicy } from "./policy.ts";
import type { Responder } from "./respond.ts";
import type { ChatRequest } from "./validate.ts";

// The admission stage of a chat request: everything the gateway can refuse before asking a provider.

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
  /** Per-provider circuit breakers, when the gateway has them. */
  breakers?: CircuitBreakers;
  /** Makes the gateway stop serving: only the `exit_on_stream_reset` defect calls it. */
  crash: () => void;
  /** The decisions a one-defect mutant may bend (policy.ts). */
  policy: GatewayPolicy;
}

/** A field's own code where the profile names one (meta-envelope gateway's Error Codes reference), else the request.invalid code. */
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
export async function admit(c: ChatContext): Promise<ChatRequest> {
  const chat = await admitRequest(c);
  checkAccount(c);
  return chat;
}

/** The request itself: body, validation, model catalogue. */
export async function admitRequest(c: ChatContext): Promise<ChatRequest> {
  const { contract } = c.reply;
  const limit = contract.profile.limits.maxBodyBytes ?? c.opts.maxBodyBytes;
  const body = await readJsonBody(c.req, limit);
  if (!body.ok) {
    if (c.defects.has("empty_body_drops") && body.condition === "request.malformed_json" && body.empty) {
      c.req.socket.destroy();
      throw new GatewayError(contract.condition(body.condition, body.message));
    }
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
  return v.request;
}

/** The account behind the key: its balance and its rate limit (docs/contract.md §19: before any provider). */
export function checkAccount(c: ChatContext): void {
  const { contract } = c.reply;
  if (c.key === c.opts.brokeKey) {
    throw new GatewayError(contract.condition("balance.insufficient", "Account balance too low"));
  }
  if (c.key === c.opts.limitedKey) {
    throw new GatewayError(contract.condition("rate.limited", "Too many requests: wait before retrying"));
  }
}

/** Holds one of the key's concurrency slots until the answer is complete; refuses when none is free. */
export function enterGate(c: ChatContext): () => void {
  const slot = c.gate.enter(c.key);
  if (typeof slot === "function") return slot;
  const message = `Too many requests in flight for this key (${slot.active_requests} of ${slot.concurrency_limit})`;
  throw new GatewayError(c.reply.contract.condition("concurrency.limited", message, { extra: { ...slot } }));
}
