import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import type { Idempotency as IdempotencySpec } from "../core/profile/schema.ts";
import { GatewayError } from "./error-spec.ts";
import { type KeyParse, parseIdempotencyKey } from "./idempotency-key.ts";
import type { IdempotencyPolicy } from "./policy/idempotency.ts";
import type { Responder } from "./respond.ts";
import { captureResponse, type StoredResponse } from "./response-capture.ts";
import { TtlStore } from "./ttl-store.ts";

// Idempotent replay, docs/contract.md §14 and draft-ietf-httpapi-idempotency-key-header-07
// (github.com/ietf-wg-httpapi/idempotency, draft-ietf-httpapi-idempotency-key-header.md).

export { type KeyParse, parseIdempotencyKey };

interface IdemRecord {
  fingerprint: string;
  /** Undefined while the first request is still being processed. */
  stored?: StoredResponse;
}

/** Key order does not make two payloads different. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

/** The draft's "idempotency fingerprint": a checksum of the request payload (here also method and path). */
export function fingerprint(method: string, path: string, body: Buffer): string {
  let text: string;
  try {
    text = canonical(JSON.parse(body.toString("utf8")));
  } catch {
    text = body.toString("base64");
  }
  return createHash("sha256").update(`${method} ${path}\n${text}`).digest("hex");
}

/** Reads the body once (keeping one byte past the limit, so the size check downstream still fires) and hands on a replayable copy. */
async function bufferBody(
  req: IncomingMessage,
  maxBytes: number,
): Promise<{ body: Buffer; copy: IncomingMessage }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    const b = c as Buffer;
    if (size <= maxBytes) chunks.push(b.subarray(0, maxBytes + 1 - size));
    size += b.length;
  }
  const body = Buffer.concat(chunks);
  const copy = Object.assign(Readable.from(body.length ? [body] : []), {
    headers: req.headers,
    method: req.method,
    url: req.url,
  }) as unknown as IncomingMessage;
  return { body, copy };
}

export interface IdempotentCall {
  req: IncomingMessage;
  reply: Responder;
  /** The authenticated client key: keys are scoped to it. */
  credential: string;
  maxBodyBytes: number;
}

/** The gateway's idempotency layer for one endpoint: run once, replay, reject a mismatch, refuse a duplicate in flight. */
export class IdempotencyLayer {
  private readonly store: TtlStore<IdemRecord>;

  constructor(
    readonly spec: IdempotencySpec,
    private readonly policy: IdempotencyPolicy,
    // Stripe prunes keys after 24 hours; the draft leaves expiry to the server ("SHOULD define such expiration policy").
    limits: { maxEntries: number; ttlMs: number } = { maxEntries: 10_000, ttlMs: 24 * 3600_000 },
  ) {
    this.store = new TtlStore(limits.maxEntries, limits.ttlMs);
  }

  async run(call: IdempotentCall, exec: (req: IncomingMessage) => Promise<void>): Promise<void> {
    const raw = call.req.headers[this.spec.header.toLowerCase()];
    if (raw === undefined) return exec(call.req);
    const { contract } = call.reply;
    const parsed = this.policy.idempotencyKey([raw].flat().join(", "));
    if (!parsed.ok) throw new GatewayError(contract.condition("request.invalid", parsed.message));
    const { body, copy } = await bufferBody(call.req, call.maxBodyBytes);
    const path = new URL(call.req.url ?? "/", "http://gateway").pathname;
    const fp = fingerprint(call.req.method ?? "POST", path, body);
    // The draft's security section: "a composite key ... combining the idempotency key sent by the client
    // with other client specific attributes", so one client can never read another's stored answer.
    const scope = createHash("sha256").update(call.credential).digest("hex").slice(0, 32);
    const id = this.policy.idempotencyScope(scope, parsed.key);
    const seen = this.store.get(id);
    const action = seen
      ? this.policy.repeatAction({ samePayload: seen.fingerprint === fp, finished: !!seen.stored })
      : "run";
    if (action === "mismatch") {
      const spec = contract.condition(
        "idempotency.mismatch",
        "This Idempotency-Key was already used with a different request payload; use a new key",
      );
      throw new GatewayError({ ...spec, status: this.spec.mismatchStatus });
    }
    if (action === "in_flight") {
      const spec = contract.condition(
        "idempotency.in_flight",
        "A request with this Idempotency-Key is still being processed; retry after it completes",
      );
      throw new GatewayError({ ...spec, status: this.spec.conflictStatus });
    }
    if (action === "replay" && seen?.stored) return replay(call.reply, seen.stored, this.policy);
    const record: IdemRecord = { fingerprint: fp };
    this.store.set(id, record);
    captureResponse(call.reply.res, (stored) => {
      if (this.store.get(id) !== record) return;
      const fate = this.policy.afterAnswer(stored?.status);
      if (fate === "release") this.store.delete(id);
      else if (fate === "keep" && stored) record.stored = stored;
    });
    return exec(copy);
  }
}

/**
 * The stored answer again: its status, headers (content type included) and body. Stripe marks replays
 * with `Idempotent-Replayed: true`; the request id stays this exchange's own.
 */
function replay(reply: Responder, stored: StoredResponse, policy: IdempotencyPolicy): void {
  const { res } = reply;
  if (res.headersSent || res.destroyed) return;
  res.writeHead(stored.status, {
    ...policy.replayHeaders(stored.headers),
    "x-request-id": reply.requestId,
    "idempotent-replayed": "true",
  });
  res.end(stored.body);
}
