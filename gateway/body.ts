import type { IncomingMessage } from "node:http";
import type { Condition } from "../core/profile/schema.ts";

export type BodyResult =
  | { ok: true; value: unknown }
  | {
      ok: false;
      condition: Extract<Condition, "request.malformed_json" | "request.too_large">;
      /** The body had no bytes at all. */
      empty?: boolean;
      message: string;
    };

const JSON_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i;

/**
 * Reads the whole request body but keeps at most `maxBytes`: the rest is drained, not buffered, so the
 * client gets its answer rather than a broken pipe.
 */
async function readCapped(req: IncomingMessage, maxBytes: number): Promise<{ text: string; over: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size <= maxBytes) chunks.push(c as Buffer);
  }
  return { text: Buffer.concat(chunks).toString("utf8"), over: size > maxBytes };
}

/** Size first, then content type, then JSON: the order a client can fix them in. */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  const { text, over } = await readCapped(req, maxBytes);
  if (over) {
    return { ok: false, condition: "request.too_large", message: `Request body exceeds ${maxBytes} bytes` };
  }
  const type = req.headers["content-type"] ?? "";
  if (!JSON_TYPE.test(type)) {
    const seen = type ? `"${type}"` : "none";
    return {
      ok: false,
      condition: "request.malformed_json",
      message: `Request body must be JSON: expected content-type application/json, saw ${seen}`,
    };
  }
  if (text.trim() === "")
    return { ok: false, condition: "request.malformed_json", message: "Request body is empty", empty: true };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return {
      ok: false,
      condition: "request.malformed_json",
      message: `Request body is not valid JSON: ${(e as Error).message}`,
    };
  }
}
