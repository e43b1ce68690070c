import type { OutgoingHttpHeaders, ServerResponse } from "node:http";

/** A finished answer, as the client received it: what an idempotent replay sends again. */
export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

const MAX_STORED_BYTES = 1024 * 1024;

function plainHeaders(h: OutgoingHttpHeaders | readonly unknown[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h || Array.isArray(h)) return out;
  for (const [k, v] of Object.entries(h as OutgoingHttpHeaders)) {
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : String(v);
  }
  return out;
}

/**
 * Records what is written to `res` without changing it, and reports it once the answer is finished, or
 * `undefined` when the client went away first (or the body outgrew what is worth storing).
 */
export function captureResponse(
  res: ServerResponse,
  done: (stored: StoredResponse | undefined) => void,
): void {
  let status = 200;
  let headers: Record<string, string> = {};
  const chunks: Buffer[] = [];
  let size = 0;
  const keep = (chunk: unknown) => {
    if (chunk === undefined || chunk === null || typeof chunk === "function") return;
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += b.length;
    if (size <= MAX_STORED_BYTES) chunks.push(b);
  };
  const writeHead = res.writeHead.bind(res);
  res.writeHead = ((code: number, ...rest: unknown[]) => {
    status = code;
    const h = rest.find((r) => typeof r === "object");
    headers = { ...plainHeaders(res.getHeaders()), ...plainHeaders(h as OutgoingHttpHeaders) };
    return (writeHead as (...a: unknown[]) => ServerResponse)(code, ...rest);
  }) as ServerResponse["writeHead"];
  const write = res.write.bind(res);
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    keep(chunk);
    return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as ServerResponse["write"];
  const end = res.end.bind(res);
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    keep(chunk);
    return (end as (...a: unknown[]) => ServerResponse)(chunk, ...rest);
  }) as ServerResponse["end"];
  let reported = false;
  const report = (finished: boolean) => {
    if (reported) return;
    reported = true;
    done(finished && size <= MAX_STORED_BYTES ? { status, headers, body: Buffer.concat(chunks) } : undefined);
  };
  res.once("finish", () => report(true));
  res.once("close", () => report(res.writableFinished));
}
