import { readJsonBody } from "./body.ts";
import type { Contract } from "./contract.ts";
import { type ErrorSpec, GatewayError } from "./error-spec.ts";
import { closestModel } from "./hints.ts";
import type { ChatContext } from "./policy/types.ts";
import type { ChatRequest, Validation } from "./validate.ts";

// The admission stage of a chat request: everything the gateway can refuse before asking a provider.

export type { ChatContext } from "./policy/types.ts";

/** A field's own code where the profile names one (meta-envelope gateway's Error Codes reference), else the request.invalid code. */
export function invalidRequest(contract: Contract, v: Extract<Validation, { ok: false }>): ErrorSpec {
  const spec = contract.condition("request.invalid", v.message, { param: v.param });
  const fieldCode = v.field === undefined ? undefined : contract.profile.fieldCodes[v.field];
  if (fieldCode) {
    spec.code = fieldCode;
    spec.status = contract.statusOf(fieldCode, spec.status);
  }
  return spec;
}

/** A model the gateway does not serve: model.unknown, with the closest one it does. */
export function modelRefusal(
  contract: Contract,
  model: string,
  served: readonly string[],
): ErrorSpec | undefined {
  if (served.includes(model)) return undefined;
  const didYouMean = closestModel(model, served);
  return contract.condition("model.unknown", `Model ${model} does not exist`, { param: "model", didYouMean });
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
  if (!body.ok) throw new GatewayError(c.policy.refuseBody(contract, body, c.req));
  const v = c.codec.toChat(body.value, c.route);
  if (!v.ok) throw new GatewayError(c.policy.invalidRequest(contract, v));
  const model = v.request.model;
  if (c.opts.disabledModels.includes(model)) {
    throw new GatewayError(contract.condition("model.disabled", `Model ${model} is currently disabled`));
  }
  const refusal = c.policy.modelRefusal(contract, model, c.opts.models);
  if (refusal) throw new GatewayError(refusal);
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
