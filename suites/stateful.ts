import fc from "fast-check";
import type { Profile } from "../core/profile/schema.ts";
import { gatewayDeadline, type RunContext } from "./harness/context.ts";
import type { Property, Suite } from "./harness/property.ts";
import { authHeader, chatRequest, prompt } from "./harness/requests.ts";
import {
  type CaseSpec,
  NONCE_PLACEHOLDER,
  PLAN_PLACEHOLDER,
  type RequestSpec,
  type ScenarioStep,
} from "./harness/types.ts";

// Multi-request properties: idempotent replay (docs/contract.md §14) and the async task lifecycle
// (docs/contract.md, llmapi and data-envelope rows). Each case is a small scenario (harness/scenario-case.ts).

type Form = "quoted" | "bare";
const form: fc.Arbitrary<Form> = fc.constantFrom("quoted", "bare");
const keySuffix = fc.integer({ min: 0, max: 99_999 });
/** The mock holds the first request this long, so a duplicate arrives while it is in flight. */
const HOLD_MS = 400;
const DUPLICATE_AFTER_MS = 100;

const noIdempotency = (ctx: RunContext) =>
  ctx.profile.idempotency ? undefined : "the profile declares no idempotency (idempotency:)";
const noTasks = (ctx: RunContext) =>
  ctx.profile.tasks ? undefined : "the profile declares no async tasks (tasks:)";

/**
 * The POSTs a key applies to (§14: "Every POST the profile declares idempotent honours the key"): the
 * chat endpoint, and the task submit (a generation) where the profile declares tasks.
 */
type Endpoint = "chat" | "submit";
function idempotentEndpoints(ctx: RunContext): Endpoint[] {
  return ctx.profile.tasks?.submit.method === "POST" ? ["chat", "submit"] : ["chat"];
}

/** `"k"` (the IETF draft's sf-string) or `k` (Stripe's bare token). */
function withKey(p: Profile, r: RequestSpec, key: string, f: Form): RequestSpec {
  const header = p.idempotency!.header.toLowerCase();
  return { ...r, headers: { ...r.headers, [header]: f === "quoted" ? `"${key}"` : key } };
}

/** What the first provider's attempts do: answer (each its own text), refuse the prompt, or fail. */
type FirstAnswer = "ok" | "refused" | "failed";

/**
 * Every attempt of the first provider answers its own text, so a second execution never looks like a
 * replay. `refused`: the first provider refuses the prompt (a 4xx answer). `failed`: every provider fails
 * once, then answers: a 5xx first answer, and a retry that can succeed when it runs again.
 */
function idemPlan(ctx: RunContext, first: FirstAnswer, hold: boolean): Record<string, unknown[]> {
  const [head, ...rest] = ctx.providers;
  const held = hold ? { delayMs: HOLD_MS } : {};
  if (first === "failed")
    return Object.fromEntries(
      ctx.providers.map((n, i) => [n, [{ step: "server_error", ...(i === 0 ? held : {}) }, "ok"]]),
    );
  const texts =
    first === "refused"
      ? [{ step: "content_policy", ...held }]
      : ["one", "two", "three"].map((n) => ({ step: "ok", text: `Faultline answer ${n}.`, ...held }));
  return Object.fromEntries([
    [head!, texts],
    ...rest.map((n) => [n, [{ step: "ok", text: `Answer from ${n}.` }]]),
  ]);
}

interface IdemCase {
  ctx: RunContext;
  endpoint: Endpoint;
  text: string;
  key: string;
  form: Form;
}

/** The idempotent POST of a case, by another client when `apiKey` is given. */
function post(c: IdemCase, text = c.text, apiKey?: string): RequestSpec {
  return c.endpoint === "chat"
    ? chatRequest(c.ctx.profile, c.ctx.target, { text, withMarker: true, key: apiKey })
    : taskRequest(c.ctx, "submit", { text, key: apiKey });
}

/** A step of a case: a submit's answers use the task envelope, and its upstream work comes later. */
function step(c: IdemCase, name: string, request: RequestSpec, startAfterMs?: number): ScenarioStep {
  return {
    name,
    request,
    ...(startAfterMs !== undefined ? { startAfterMs } : {}),
    ...(c.endpoint === "submit" ? { envelope: "tasks" as const, async: true } : {}),
  };
}

interface IdemSpec {
  id: string;
  condition: string;
  checks: string[];
  title: string;
  steps: (c: IdemCase) => ScenarioStep[];
  /** The first provider's behaviour (default: it answers). */
  first?: FirstAnswer[];
  /** The first provider holds its answer, so the second step overlaps the first. */
  hold?: boolean;
  /** Default: every idempotent endpoint. */
  endpoints?: (ctx: RunContext) => Endpoint[];
  runs?: number;
  skip?: (ctx: RunContext) => string | undefined;
}

function idemProperty(spec: IdemSpec): Property {
  const endpoints = spec.endpoints ?? idempotentEndpoints;
  const firsts = spec.first ?? ["ok"];
  const build = (
    ctx: RunContext,
    endpoint: Endpoint,
    text: string,
    n: number,
    f: Form,
    first: FirstAnswer,
  ) => {
    const c: IdemCase = { ctx, endpoint, text, key: `fl-${NONCE_PLACEHOLDER}-${n}`, form: f };
    const steps = spec.steps(c);
    return {
      property: spec.id,
      condition: spec.condition,
      request: steps[0]!.request,
      plan: { providers: idemPlan(ctx, first, !!spec.hold) },
      scenario: { steps, judge: "second" },
      ...(endpoint === "submit" || first !== "ok" ? { note: `${endpoint}, first answer ${first}` } : {}),
    } satisfies CaseSpec;
  };
  return {
    id: spec.id,
    suite: "idempotency",
    title: spec.title,
    perFamily: false,
    needsMock: true,
    skip: (ctx) => noIdempotency(ctx) ?? spec.skip?.(ctx),
    runs: (ctx) => Math.min(ctx.runs, spec.runs ?? 8),
    checks: [...spec.checks, "TRN-001", "ENV-001", "ENV-002", "ENV-003", "LEAK-001"],
    // One case per endpoint and first answer before the random ones: none is left to chance.
    coverage: (ctx) =>
      endpoints(ctx).flatMap((ep) =>
        firsts.map((first) => build(ctx, ep, "Idempotency coverage: répète-moi ça.", 0, "quoted", first)),
      ),
    arbitrary: (ctx) =>
      fc
        .tuple(prompt, keySuffix, form, fc.constantFrom(...endpoints(ctx)), fc.constantFrom(...firsts))
        .map(([text, n, f, ep, first]) => build(ctx, ep, text, n, f, first)),
  };
}

const keyed = (c: IdemCase, f = c.form, text = c.text, apiKey?: string) =>
  withKey(c.ctx.profile, post(c, text, apiKey), c.key, f);

const replay = idemProperty({
  id: "idempotency.replay",
  condition: "idempotency.replay",
  checks: ["IDEM-001"],
  title:
    "a repeated key and payload after completion replays the stored answer (status, body, content type) without an upstream attempt, on every idempotent POST",
  steps: (c) => [step(c, "first", keyed(c)), step(c, "second", keyed(c))],
});

const replayError = idemProperty({
  id: "idempotency.replay_error",
  condition: "idempotency.replay_error",
  checks: ["IDEM-001", "IDEM-006"],
  title:
    "a request whose first answer was a provider's refusal is replayed where the profile stores errors, else replayed or run again",
  first: ["refused"],
  endpoints: () => ["chat"],
  runs: 4,
  steps: (c) => [step(c, "first", keyed(c)), step(c, "second", keyed(c))],
});

const retryFailed = idemProperty({
  id: "idempotency.retry_failed",
  condition: "idempotency.retry_failed",
  checks: ["IDEM-006"],
  title: "a retry after a 5xx first answer is replayed or run again, never refused as in flight",
  first: ["failed"],
  endpoints: () => ["chat"],
  runs: 4,
  steps: (c) => [step(c, "first", keyed(c)), step(c, "second", keyed(c))],
});

const mismatch = idemProperty({
  id: "idempotency.mismatch",
  condition: "idempotency.mismatch",
  checks: ["IDEM-002"],
  title: "a reused key with another payload is rejected with the mismatch status",
  steps: (c) => [step(c, "first", keyed(c)), step(c, "second", keyed(c, c.form, `${c.text} Once more.`))],
});

const inFlight = idemProperty({
  id: "idempotency.in_flight",
  condition: "idempotency.in_flight",
  checks: ["IDEM-003"],
  title:
    "a duplicate while the first is in flight is refused or answered with the stored result, never executed twice — whether the first then succeeds or fails",
  hold: true,
  first: ["ok", "failed"],
  // A submit answers at once: there is no first request in flight to duplicate.
  endpoints: () => ["chat"],
  runs: 4,
  steps: (c) => [step(c, "first", keyed(c)), step(c, "second", keyed(c), DUPLICATE_AFTER_MS)],
});

const scope = idemProperty({
  id: "idempotency.scope",
  condition: "idempotency.scope",
  checks: ["IDEM-004"],
  title: "the same key from another client runs as that client's own request",
  skip: (ctx) =>
    ctx.target.otherApiKey ? undefined : "the target has no second client key (--other-api-key)",
  steps: (c) => [
    step(c, "first", keyed(c)),
    step(c, "second", keyed(c, c.form, c.text, c.ctx.target.otherApiKey)),
  ],
});

const keyForms = idemProperty({
  id: "idempotency.key_forms",
  condition: "idempotency.key_forms",
  checks: ["IDEM-005"],
  title: 'the quoted ("k") and bare (k) forms of a key name the same key',
  steps: (c) => [
    step(c, "first", keyed(c)),
    step(c, "second", keyed(c, c.form === "quoted" ? "bare" : "quoted")),
  ],
});

export const idempotency: Suite = {
  id: "idempotency",
  title:
    "Idempotent replay: stored answers and errors, retries after failures, mismatches, duplicates in flight, client scope, key forms",
  properties: [replay, replayError, retryFailed, mismatch, inFlight, scope, keyForms],
};

// ── Async tasks ──────────────────────────────────────────────────────────────────────────────────────

/** The profile's submit body with `{{prompt}}` (plus the plan marker) and `{{model}}` filled in. */
function fillBody(v: unknown, text: string, model: string): unknown {
  if (typeof v === "string")
    return v.split("{{prompt}}").join(`${text} ${PLAN_PLACEHOLDER}`).split("{{model}}").join(model);
  if (Array.isArray(v)) return v.map((x) => fillBody(x, text, model));
  if (v && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fillBody(x, text, model)]));
  return v;
}

type TaskOp = "submit" | "poll" | "cancel";

function taskRequest(
  ctx: RunContext,
  op: TaskOp,
  o: { id?: string; key?: string; text?: string } = {},
): RequestSpec {
  const spec = ctx.profile.tasks!;
  const ep = spec[op];
  const body =
    op === "submit" ? JSON.stringify(fillBody(spec.body, o.text ?? "", ctx.target.model)) : undefined;
  return {
    method: ep.method,
    path: ep.path.split("{id}").join(o.id ?? "{{capture.taskId}}"),
    headers: {
      ...(body ? { "content-type": "application/json" } : {}),
      ...ctx.target.headers,
      ...authHeader(ctx.profile, o.key ?? ctx.target.apiKey),
    },
    body,
  };
}

function submitStep(ctx: RunContext, text: string): ScenarioStep {
  const spec = ctx.profile.tasks!;
  return {
    name: "submit",
    request: taskRequest(ctx, "submit", { text }),
    capture: { taskId: spec.idField },
    envelope: "tasks",
  };
}

function pollStep(ctx: RunContext): ScenarioStep {
  const spec = ctx.profile.tasks!;
  return {
    name: "poll",
    request: taskRequest(ctx, "poll"),
    poll: {
      path: spec.stateField,
      until: spec.terminalStates,
      intervalMs: 25,
      timeoutMs: gatewayDeadline(ctx),
    },
    envelope: "tasks",
  };
}

/** Quick failures (no hangs): a task with every provider failing still ends, as `failed`. */
const quickFailure = fc.constantFrom(
  "server_error",
  "bad_gateway",
  "unavailable",
  "overloaded",
  "reset",
  "empty",
);

/** The first k providers fail, the rest answer: k = all of them gives a task that must end failed. */
function taskPlan(ctx: RunContext): fc.Arbitrary<Record<string, unknown[]>> {
  const names = ctx.providers;
  // Only k shrinks (towards "every provider answers"): each shrink of a task that never ends costs a deadline.
  return fc
    .integer({ min: 0, max: names.length })
    .chain((k) =>
      fc
        .noShrink(fc.tuple(...names.map(() => quickFailure)))
        .map((fails) => Object.fromEntries(names.map((n, i) => [n, i < k ? [fails[i]] : ["ok"]]))),
    );
}

function taskProperty(
  id: string,
  condition: string,
  checks: string[],
  title: string,
  steps: (ctx: RunContext, text: string) => ScenarioStep[],
  judge: string,
  runs: number,
): Property {
  return {
    id,
    suite: "tasks",
    title,
    perFamily: false,
    needsMock: true,
    skip: noTasks,
    runs: (ctx) => Math.min(ctx.runs, runs),
    checks: [...checks, "TRN-001", "ENV-001", "ENV-002", "ENV-003", "ENV-004", "LEAK-001"],
    arbitrary: (ctx) =>
      fc.tuple(prompt, taskPlan(ctx)).map(([text, providers]): CaseSpec => {
        const s = steps(ctx, text);
        return {
          property: id,
          condition,
          request: s[0]!.request,
          plan: { providers },
          scenario: { steps: s, judge },
        };
      }),
  };
}

const lifecycle = taskProperty(
  "tasks.lifecycle",
  "task.lifecycle",
  ["TASK-001", "TASK-002"],
  "a submitted task is accepted with an id and reaches a terminal state within the deadline",
  (ctx, text) => [submitStep(ctx, text), pollStep(ctx)],
  "poll",
  5,
);

const cancelFinished = taskProperty(
  "tasks.cancel_finished",
  "task.already_terminal",
  ["TASK-003"],
  "cancelling a finished task is answered 409 with the profile's code",
  (ctx, text) => [
    submitStep(ctx, text),
    pollStep(ctx),
    { name: "cancel", request: taskRequest(ctx, "cancel"), envelope: "tasks" },
  ],
  "cancel",
  // Few: a case whose task never ends costs a whole deadline and tells TASK-003 nothing.
  3,
);

const notFound = taskProperty(
  "tasks.not_found",
  "task.not_found",
  ["TASK-004"],
  "another client's task, and an unknown one, are answered 404 with the profile's code",
  (ctx, text) => {
    const other = ctx.target.otherApiKey;
    const unknown = `task_${NONCE_PLACEHOLDER}`;
    return [
      submitStep(ctx, text),
      ...(other
        ? [
            {
              name: "foreign-poll",
              request: taskRequest(ctx, "poll", { key: other }),
              envelope: "tasks" as const,
            },
            {
              name: "foreign-cancel",
              request: taskRequest(ctx, "cancel", { key: other }),
              envelope: "tasks" as const,
            },
          ]
        : []),
      { name: "foreign-unknown-poll", request: taskRequest(ctx, "poll", { id: unknown }), envelope: "tasks" },
      {
        name: "foreign-unknown-cancel",
        request: taskRequest(ctx, "cancel", { id: unknown }),
        envelope: "tasks",
      },
    ];
  },
  "foreign-unknown-cancel",
  5,
);

export const tasks: Suite = {
  id: "tasks",
  title:
    "Async tasks: accepted with an id, terminal within the deadline, 409 on a finished cancel, 404 across clients",
  properties: [lifecycle, cancelFinished, notFound],
};
