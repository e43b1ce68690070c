/** A chat request that passed validation: only the fields the gateway itself reads. */
export interface ChatRequest {
  model: string;
  stream: boolean;
  body: Record<string, unknown>;
}

export type Validation = { ok: true; request: ChatRequest } | { ok: false; param?: string; message: string };

const ROLES = new Set(["system", "user", "assistant", "tool"]);

/** Echoes a little of what was sent, never a whole prompt. */
function show(v: unknown): string {
  const s = v === undefined ? "nothing" : JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

type Rule = (v: unknown) => string | undefined;

const range =
  (min: number, max: number): Rule =>
  (v) =>
    typeof v === "number" && Number.isFinite(v) && v >= min && v <= max
      ? undefined
      : `expected a number between ${min} and ${max}, saw ${show(v)}`;

const positiveInt: Rule = (v) =>
  Number.isInteger(v) && (v as number) >= 1 ? undefined : `expected an integer of at least 1, saw ${show(v)}`;

const bool: Rule = (v) => (typeof v === "boolean" ? undefined : `expected a boolean, saw ${show(v)}`);

// Bounds as OpenAI documents them for chat completions. A null is refused, not read as "absent":
// CONTRACTS.md counts a wrong type as request.invalid.
const OPTIONAL: Record<string, Rule> = {
  temperature: range(0, 2),
  top_p: range(0, 1),
  max_tokens: positiveInt,
  max_completion_tokens: positiveInt,
  n: positiveInt,
  stream: bool,
};

function invalid(param: string | undefined, message: string): Validation {
  return { ok: false, param, message: param ? `Invalid parameter ${param}: ${message}` : message };
}

function checkMessages(v: unknown): Validation | undefined {
  if (!Array.isArray(v) || v.length === 0) {
    return invalid("messages", `expected a non-empty array, saw ${show(v)}`);
  }
  for (const [i, m] of v.entries()) {
    const at = `messages[${i}]`;
    if (typeof m !== "object" || m === null || Array.isArray(m)) return invalid(at, "expected an object");
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
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return invalid(undefined, "Request body must be a JSON object");
  }
  const b = body as Record<string, unknown>;
  if (typeof b.model !== "string" || b.model === "") {
    return invalid("model", `expected a non-empty string, saw ${show(b.model)}`);
  }
  const bad = checkMessages(b.messages);
  if (bad) return bad;
  for (const [field, rule] of Object.entries(OPTIONAL)) {
    if (!(field in b)) continue;
    const problem = rule(b[field]);
    if (problem) return invalid(field, problem);
  }
  return { ok: true, request: { model: b.model, stream: b.stream === true, body: b } };
}
