import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import type { Idempotency as IdempotencySpec } from "../core/profile/schema.ts";
import { GatewayError } from "./contract.ts";
import type { Responder } from "./respond.ts";
import { captureResponse, type StoredResponse } from "./response-capture.ts";
import { TtlStore } from "./ttl-store.ts";

// Idempotent replay, docs/contract.md §14 and draft-ietf-httpapi-idempotency-key-header-07
// (github.com/ietf-wg-httpapi/idempotency, draft-ietf-httpapi-idempotency-key-header.md).

interface IdemRecord {
  fingerprint: string;
  /** Undefined while the first request is still being processed. */
  stored?: StoredResponse;
}

export type KeyParse = { ok: true; key: string } | { ok: false; message: string };

/**
 * The draft: "`Idempotency-Key` is an Item Structured Header [RFC8941]. Its value MUST be a String"
 * (`"abc"`); Stripe sends the bare token (`abc`). Both name the same key. sf-string per RFC 8941 §4.2.5:
 * printable ASCII, with only `\"` and `\\` as escapes.
 */
export function parseIdempotencyKey(raw: string, quotedDiffers = false): KeyParse {
  const value = raw.trim();
  const bad = (why: string): KeyParse => ({
    ok: false,
    message: `Malformed Idempotency-Key header (${why}): send a quoted string like "8e03978e-40d5" or a bare token`,
  });
  if (value === "") return bad("empty");
  if (quotedDiffers) return { ok: true, key: value };
  if (!value.startsWith('"')) {
    return /^[\x21\x23-\x7e]{1,255}$/.test(value) ? { ok: true, key: value } : bad("not a token");
  }
  let key = "";
  for (let i = 1; i < value.length; i++) {
    const ch = value[i]!;
    if (ch === "\\") {
      const next = value[++i];
      if (next !== '"' && next !== "\\") return bad("bad escape");
      key += next;
    } else if (ch === '"') {
      if (i !== value.length - 1) return bad("text after the closing quote");
      return key.length > 0 && key.length <= 255 ? { ok: true, key } : bad("empty or too long");
    } else if (ch < " " || ch > "~") return bad("not printable ASCII");
    else key += ch;
  }
  return bad("no closing quote");
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
    private readonly defects: ReadonlySet<string>,
    // Stripe prunes keys after 24 hours; the draft leaves expiry to the server ("SHOULD define such expiration policy").
    limits: { maxEntries: number; ttlMs: number } = { maxEntries: 10_000, ttlMs: 24 * 3600_000 },
  ) {
    this.store = new TtlStore(limits.maxEntries, limits.ttlMs);
  }

  async run(call: IdempotentCall, exec: (req: IncomingMessage) => Promise<void>): Promise<void> {
    const raw = call.req.headers[this.spec.header.toLowerCase()];
    if (raw === undefined) return exec(call.req);
    const { contract } = call.reply;
    const parsed = parseIdempotencyKey([raw].flat().join(", "), this.defects.has("idem_quoted_differs"));
    if (!parsed.ok) throw new GatewayError(contract.condition("request.invalid", parsed.message));
    const { body, copy } = await bufferBody(call.req, call.maxBodyBytes);
    const path = new URL(call.req.url ?? "/", "http://gateway").pathname;
    const fp = fingerprint(call.req.method ?? "POST", path, body);
    // The draft's security section: "a composite key ... combining the idempotency key sent by the client
    // with other client specific attributes", so one client can never read another's stored answer.
    const scope = createHash("sha256").update(call.credential).digest("hex").slice(0, 32);
    const id = this.defects.has("idem_global_keys") ? parsed.key : `${scope}:${parsed.key}`;
    const seen = this.store.get(id);
    if (seen && seen.fingerprint !== fp && !this.defects.has("idem_mismatch_accepted")) {
      const spec = contract.condition(
        "idempotency.mismatch",
        "This Idempotency-Key was already used with a different request payload; use a new key",
      );
      throw new GatewayError({ ...spec, status: this.spec.mismatchStatus });
    }
    if (seen && seen.fingerprint === fp && !seen.stored && !this.defects.has("idem_in_flight_duplicate")) {
      const spec = contract.condition(
        "idempotency.in_flight",
        "A request with this Idempotency-Key is still being processed; retry after it completes",
      );
      throw new GatewayError({ ...spec, status: this.spec.conflictStatus });
    }
    if (seen?.stored && seen.fingerprint === fp && !this.defects.has("idem_replay_calls_upstream")) {
      return replay(call.reply, seen.stored, this.defects.has("idem_replay_content_type"));
    }
    const record: IdemRecord = { fingerprint: fp };
    this.store.set(id, record);
    captureResponse(call.reply.res, (stored) => {
      if (this.store.get(id) !== record) return;
      // A 5xx or 429 means nothing was done: the seed's clients retry those with the same key
      // (data-envelope gateway's Errors guide: "Retry network failures and some 5xx errors with idempotency on POST routes").
      const failed = !stored || stored.status >= 500 || stored.status === 429;
      // The `idem_stuck_after_error` defect forgets to release the key; `idem_errors_not_stored` keeps no 4xx.
      if (failed && this.defects.has("idem_stuck_after_error")) return;
      if (failed || (stored.status >= 400 && this.defects.has("idem_errors_not_stored")))
        this.store.delete(id);
      else record.stored = stored;
    });
    return exec(copy);
  }
}

/**
 * The stored answer again: its status, headers (content type included) and body. Stripe marks replays
 * with `Idempotent-Replayed: true`; the request id stays this exchange's own. The
 * `idem_replay_content_type` defect keeps only status and body, as a store of those two would.
 */
function replay(reply: Responder, stored: StoredResponse, dropType = false): void {
  const { res } = reply;
  if (res.headersSent || res.destroyed) return;
  const { "content-type": type, ...rest } = stored.headers;
  res.writeHead(stored.status, {
    ...(dropType ? rest : stored.headers),
    "x-request-id": reply.requestId,
    "idempotent-replayed": "true",
  });
  res.end(stored.body);
}
