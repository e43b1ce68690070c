import { setPath } from "../core/json-path.ts";
import type { Profile } from "../core/profile/schema.ts";
import type { ErrorSpec } from "./error-spec.ts";
import type { EnvelopeValues } from "./policy/errors.ts";

const parentOf = (path: string) => path.split(".").slice(0, -1).join(".");

/** The catalogue's type, else OpenAI's category for the status (Lumenfall API reference, Errors shows UPSTREAM_ERROR as invalid_request_error). */
function typeOf(p: Profile, code: string, status: number): string {
  const t = p.catalogue[code]?.type;
  if (t) return t;
  if (status >= 500) return "server_error";
  if (status === 429) return "rate_limit_error";
  return "invalid_request_error";
}

/** The values of an error body: the reference gateway's `envelopeValues` (policy/errors.ts). */
export function envelopeValues(
  p: Profile,
  spec: ErrorSpec,
  requestId: string,
  retryAfterS?: number,
): EnvelopeValues {
  const required: Record<string, unknown> = {};
  // The fields a code must carry (`requires`), filled from the spec's extras by their last segment.
  for (const path of p.catalogue[spec.code]?.requires ?? []) {
    const value = spec.extra?.[path.split(".").at(-1)!];
    if (value !== undefined) required[path] = value;
  }
  return {
    fixed: { ...p.envelope.fixed },
    retryAfterS,
    // docs/contract.md, built-in profiles (lemondata): retryable agrees with the status (429 and 5xx true, other 4xx false).
    retryable: spec.status === 429 || spec.status >= 500,
    requestId,
    timestamp: new Date().toISOString(),
    required,
  };
}

/** An error body built from the profile's envelope paths, so any profile renders without code changes. */
export function renderError(p: Profile, spec: ErrorSpec, v: EnvelopeValues): Record<string, unknown> {
  const env = p.envelope;
  const out: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(v.fixed)) setPath(out, path, value);
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
  if (env.retryAfter && v.retryAfterS !== undefined) setPath(out, env.retryAfter, v.retryAfterS);
  // Agent-First hints (LemonData API docs, Error Codes).
  if (env.hints?.retryable) setPath(out, env.hints.retryable, v.retryable);
  if (env.hints?.didYouMean && spec.didYouMean !== undefined)
    setPath(out, env.hints.didYouMean, spec.didYouMean);
  for (const [path, value] of Object.entries(v.required)) setPath(out, path, value);
  if (env.requestId && v.requestId !== undefined) setPath(out, env.requestId, v.requestId);
  if (env.timestamp) setPath(out, env.timestamp, v.timestamp);
  return out;
}
