/** A chat request that passed validation: the OpenAI chat body the providers take, and what the gateway reads. */
export interface ChatRequest {
  model: string;
  stream: boolean;
  body: Record<string, unknown>;
}

/**
 * `param` is the offending field as the client wrote it (`generationConfig.temperature`). `field` is set
 * when a value of the right type breaks the field's bound: its dialect-neutral name (`temperature`), the
 * key of the profile's `fieldCodes` ("Temperature value is out of range", meta-envelope gateway's Error Codes reference). A value of
 * the wrong type is a general validation error.
 */
export type Validation =
  | { ok: true; request: ChatRequest }
  | { ok: false; param?: string; field?: string; message: string };

const ROLES = new Set(["system", "user", "assistant", "tool"]);

/** Echoes a little of what was sent, never a whole prompt. */
export function show(v: unknown): string {
  const s = v === undefined ? "nothing" : JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/** What is wrong with a value; `bound` when its type is right but it is out of the field's range. */
export interface Problem {
  message: string;
  bound: boolean;
}

export type Rule = (v: unknown) => Problem | undefined;

const wrongType = (message: string): Problem => ({ message, bound: false });

export const range =
  (min: number, max: number): Rule =>
  (v) => {
    const message = `expected a number between ${min} and ${max}, saw ${show(v)}`;
    if (typeof v !== "number" || !Number.isFinite(v)) return wrongType(message);
    return v >= min && v <= max ? undefined : { message, bound: true };
  };

export const positiveInt: Rule = (v) => {
  const message = `expected an integer of at least 1, saw ${show(v)}`;
  if (!Number.isInteger(v)) return wrongType(message);
  return (v as number) >= 1 ? undefined : { message, bound: true };
};

export const bool: Rule = (v) =>
  typeof v === "boolean" ? undefined : wrongType(`expected a boolean, saw ${show(v)}`);

export const stringList: Rule = (v) =>
  Array.isArray(v) && v.every((s) => typeof s === "string")
    ? undefined
    : wrongType(`expected a list of strings, saw ${show(v)}`);

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

// Bounds as OpenAI documents them for chat completions. A null is refused, not read as "absent":
// docs/contract.md counts a wrong type as request.invalid.
const OPTIONAL: Record<string, Rule> = {
  temperature: range(0, 2),
  top_p: range(0, 1),
  max_tokens: positiveInt,
  max_completion_tokens: positiveInt,
  n: positiveInt,
  stream: bool,
};

export function invalid(param: string | undefined, message: string, field?: string): Validation {
  return { ok: false, param, field, message: param ? `Invalid parameter ${param}: ${message}` : message };
}

/** A rule's verdict on one field as a Validation: `field` names it only when a bound was broken. */
export function check(rule: Rule, value: unknown, param: string, field = param): Validation | undefined {
  const p = rule(value);
  return p && invalid(param, p.message, p.bound ? field : undefined);
}

/** Checks the optional fields of `body` that `rules` names; the first one broken is reported. */
export function checkOptional(
  body: Record<string, unknown>,
  rules: Record<string, Rule>,
  prefix = "",
  fieldOf: (key: string) => string = (k) => k,
): Validation | undefined {
  for (const [key, rule] of Object.entries(rules)) {
    if (!(key in body)) continue;
    const bad = check(rule, body[key], `${prefix}${key}`, fieldOf(key));
    if (bad) return bad;
  }
  return undefined;
}

function checkMessages(v: unknown): Validation | undefined {
  if (!Array.isArray(v) || v.length === 0) {
    return invalid("messages", `expected a non-empty array, saw ${show(v)}`);
  }
  for (const [i, m] of v.entries()) {
    const at = `messages[${i}]`;
    if (!isObject(m)) return invalid(at, "expected an object");
    const { role, content } = m as { role?: unknown; content?: unknown };
    if (typeof role !== "string" || !ROLES.has(role)) {
      return invalid(`${at}.role`, `expected one of ${[...ROLES].join(", ")}, saw ${show(role)}`);
    }
    if (typeof content !== "string" && !Array.isArray(content)) {
      return invalid(`${at}.content`, `expected a string or an array of parts, saw ${show(content)}`);
    }
  }
  return undefined;
}

/** Validates an OpenAI chat completion request, naming the first offending field. */
export function validateChat(body: unknown): Validation {
  if (!isObject(body)) return invalid(undefined, "Request body must be a JSON object");
  if (typeof body.model !== "string" || body.model === "") {
    return invalid("model", `expected a non-empty string, saw ${show(body.model)}`);
  }
  const bad = checkMessages(body.messages) ?? checkOptional(body, OPTIONAL);
  if (bad) return bad;
  return { ok: true, request: { model: body.model, stream: body.stream === true, body } };
}
