import { setPath } from "../core/json-path.ts";
import type { Profile } from "../core/profile/schema.ts";
import type { ErrorSpec } from "./contract.ts";

const parentOf = (path: string) => path.split(".").slice(0, -1).join(".");

/** The catalogue's type, else OpenAI's category for the status (Lumenfall API reference, Errors shows UPSTREAM_ERROR as invalid_request_error). */
function typeOf(p: Profile, code: string, status: number): string {
  const t = p.catalogue[code]?.type;
  if (t) return t;
  if (status >= 500) return "server_error";
  if (status === 429) return "rate_limit_error";
  return "invalid_request_error";
}

/** Agent-First hints (LemonData API docs, Error Codes). */
function renderHints(
  out: Record<string, unknown>,
  p: Profile,
  defects: ReadonlySet<string>,
  spec: ErrorSpec,
) {
  const hints = p.envelope.hints;
  // docs/contract.md, built-in profiles (lemondata): retryable agrees with the status (429 and 5xx true, other 4xx false).
  const retryable = spec.status === 429 || spec.status >= 500;
  if (hints?.retryable) setPath(out, hints.retryable, defects.has("retryable_wrong") ? true : retryable);
  if (hints?.didYouMean && spec.didYouMean !== undefined) setPath(out, hints.didYouMean, spec.didYouMean);
}

/** The fields a code must carry (`requires`), filled from the spec's extras by their last segment. */
function renderRequired(
  out: Record<string, unknown>,
  p: Profile,
  defects: ReadonlySet<string>,
  spec: ErrorSpec,
) {
  if (defects.has("concurrency_fields_missing")) return;
  for (const path of p.catalogue[spec.code]?.requires ?? []) {
    const value = spec.extra?.[path.split(".").at(-1)!];
    if (value !== undefined) setPath(out, path, value);
  }
}

/** An error body built from the profile's envelope paths, so any profile renders without code changes. */
export function renderError(
  p: Profile,
  defects: ReadonlySet<string>,
  spec: ErrorSpec,
  requestId: string,
  retryAfterS?: number,
): Record<string, unknown> {
  if (defects.has("flat_envelope")) return { code: spec.code, message: spec.message };
  const env = p.envelope;
  const out: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(env.fixed)) setPath(out, path, value);
  if (defects.has("data_not_null") && "data" in env.fixed) out.data = {};
  setPath(out, env.message, spec.message);
  if (env.type) setPath(out, env.type, typeOf(p, spec.code, spec.status));
  setPath(out, env.code, spec.code);
  if (env.httpStatus) setPath(out, env.httpStatus, spec.status);
  // A `param` beside the code is a member of the error object itself, always present and null when no
  // field is at fault (LemonData API docs, Error Codes; openai-openapi's Error: param required, nullable). One inside an
  // optional object (`error.details.field`) appears only with a field.
  if (env.param && (spec.param !== undefined || parentOf(env.param) === parentOf(env.code))) {
    setPath(out, env.param, spec.param ?? null);
  }
  if (env.field && env.field !== env.param && spec.param !== undefined) setPath(out, env.field, spec.param);
  if (env.retryAfter && retryAfterS !== undefined) {
    setPath(out, env.retryAfter, defects.has("retry_after_mismatch") ? retryAfterS + 30 : retryAfterS);
  }
  renderHints(out, p, defects, spec);
  renderRequired(out, p, defects, spec);
  if (env.requestId && !defects.has("no_request_id")) setPath(out, env.requestId, requestId);
  if (env.timestamp) {
    setPath(out, env.timestamp, defects.has("timestamp_epoch") ? Date.now() : new Date().toISOString());
  }
  return out;
}
