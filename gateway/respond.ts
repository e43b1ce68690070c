import type { ServerResponse } from "node:http";
import type { Contract, ErrorSpec } from "./contract.ts";

/** What every answer of one request shares. */
export interface Responder {
  res: ServerResponse;
  contract: Contract;
  requestId: string;
  retryAfterS: number;
}

export function sendJson(
  r: Responder,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  contentType = "application/json",
): void {
  if (r.res.headersSent || r.res.destroyed) return;
  const text = JSON.stringify(body);
  r.res.writeHead(status, {
    "content-type": contentType,
    "content-length": String(Buffer.byteLength(text)),
    "cache-control": "no-store",
    "x-request-id": r.requestId,
    ...headers,
  });
  r.res.end(text);
}

/** Renders an error through the profile's envelope, with Retry-After where the profile asks for it. */
export function sendError(r: Responder, spec: ErrorSpec): void {
  const asked = spec.retryAfterS !== undefined;
  const retry = r.contract.wantsRetryAfter(spec.status, asked)
    ? (spec.retryAfterS ?? r.retryAfterS)
    : undefined;
  const headers: Record<string, string> = { ...spec.headers };
  if (retry !== undefined) headers["retry-after"] = String(retry);
  sendJson(
    r,
    spec.status,
    r.contract.render(spec, r.requestId, retry),
    headers,
    r.contract.profile.contentType,
  );
}
