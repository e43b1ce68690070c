import fc from "fast-check";
import { gatewayDeadline, type RunContext } from "./harness/context.ts";
import { PLAN_PLACEHOLDER } from "./harness/execute.ts";
import type { Property, Suite } from "./harness/property.ts";
import { authHeader, chatRequest, prompt } from "./harness/requests.ts";
import { NONCE_PLACEHOLDER, type ScenarioStep } from "./harness/scenario-case.ts";
import type { CaseSpec, RequestSpec } from "./harness/types.ts";
import type { Profile } from "./profile/schema.ts";

// Multi-request properties: idempotent replay (CONTRACTS.md §14) and the async task lifecycle
// (CONTRACTS.md, llmapi and data-envelope rows). Each case is a small scenario (harness/scenario-case.ts).

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

/** `"k"` (the IETF draft's sf-string) or `k` (Stripe's bare token). */
function withKey(p: Profile, r: RequestSpec, key: string, f: Form): RequestSpec {
  const header = p.idempotency!.header.toLowerCase();
  return { ...r, headers: { ...r.headers, [header]: f === "quoted" ? `"${key}"` : key } };
}

/** Every attempt of the first provider answers its own text, so a second execution never looks like a replay. */
function distinctAnswers(
  ctx: RunContext,
  firstStep: Record<string, unknown> = {},
): Record<string, unknown[]> {
  const [first, ...rest] = ctx.providers;
  const texts = ["one", "two", "three"].map((n) => ({
    step: "ok",
    text: `Faultline answer ${n}.`,
    ...firstStep,
  }));
  return Object.fromEntries([
    [first!, texts],
    ...rest.map((n) => [n, [{ step: "ok", text: `Answer from ${n}.` }]]),
  ]);
}

function idemProperty(
  id: string,
  condition: string,
  check: string,
  title: string,
  build: (ctx: RunContext, text: string, key: string, f: Form) => { steps: ScenarioStep[]; hold?: boolean },
  runs = 8,
  skip?: (ctx: RunContext) => string | undefined,
): Property {
  return {
    id,
    suite: "idempotency",
    title,
    perFamily: false,
    needsMock: true,
    skip: (ctx) => noIdempotency(ctx) ?? skip?.(ctx),
    runs: (ctx) => Math.min(ctx.runs, runs),
    checks: [check, "TRN-001", "ENV-001", "ENV-002", "ENV-003", "LEAK-001"],
    arbitrary: (ctx) =>
      fc.tuple(prompt, keySuffix, form).map(([text, n, f]): CaseSpec => {
        const { steps, hold } = build(ctx, text, `fl-${NONCE_PLACEHOLDER}-${n}`, f);
        return {
          property: id,
          condition,
          request: steps[0]!.request,
          plan: { providers: distinctAnswers(ctx, hold ? { delayMs: HOLD_MS } : {}) },
          scenario: { steps, judge: "second" },
        };
      }),
  };
}

const chat = (ctx: RunContext, text: string, key?: string) =>
  chatRequest(ctx.profile, ctx.target, { text, withMarker: true, key });

const replay = idemProperty(
  "idempotency.replay",
  "idempotency.replay",
  "IDEM-001",
  "a repeated key and payload after completion replays the stored answer without an upstream attempt",
  (ctx, text, key, f) => {
    const r = withKey(ctx.profile, chat(ctx, text), key, f);
    return {
      steps: [
        { name: "first", request: r },
        { name: "second", request: r },
      ],
    };
  },
);

const mismatch = idemProperty(
  "idempotency.mismatch",
  "idempotency.mismatch",
  "IDEM-002",
  "a reused key with another payload is rejected with the mismatch status",
  (ctx, text, key, f) => ({
    steps: [
      { name: "first", request: withKey(ctx.profile, chat(ctx, text), key, f) },
      { name: "second", request: withKey(ctx.profile, chat(ctx, `${text} Once more.`), key, f) },
    ],
  }),
);

const inFlight = idemProperty(
  "idempotency.in_flight",
  "idempotency.in_flight",
  "IDEM-003",
  "a duplicate while the first is in flight is refused or answered with the stored result, never executed twice",
  (ctx, text, key, f) => {
    const r = withKey(ctx.profile, chat(ctx, text), key, f);
    return {
      hold: true,
      steps: [
        { name: "first", request: r },
        { name: "second", request: r, startAfterMs: DUPLICATE_AFTER_MS },
      ],
    };
  },
  4,
);

const scope = idemProperty(
  "idempotency.scope",
  "idempotency.scope",
  "IDEM-004",
  "the same key from another client runs as that client's own request",
  (ctx, text, key, f) => ({
    steps: [
      { name: "first", request: withKey(ctx.profile, chat(ctx, text), key, f) },
      { name: "second", request: withKey(ctx.profile, chat(ctx, text, ctx.target.otherApiKey), key, f) },
    ],
  }),
  8,
  (ctx) => (ctx.target.otherApiKey ? undefined : "the target has no second client key (--other-api-key)"),
);

const keyForms = idemProperty(
  "idempotency.key_forms",
  "idempotency.key_forms",
  "IDEM-005",
  'the quoted ("k") and bare (k) forms of a key name the same key',
  (ctx, text, key, f) => {
    const r = chat(ctx, text);
    return {
      steps: [
        { name: "first", request: withKey(ctx.profile, r, key, f) },
        { name: "second", request: withKey(ctx.profile, r, key, f === "quoted" ? "bare" : "quoted") },
      ],
    };
  },
);

export const idempotency: Suite = {
  id: "idempotency",
  title: "Idempotent replay: stored answers, mismatches, duplicates in flight, client scope, key forms",
  properties: [replay, mismatch, inFlight, scope, keyForms],
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
