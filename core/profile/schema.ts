import { z } from "zod";

/** Conditions the harness can create (docs/contract.md, "Conditions"). */
export const CONDITIONS = [
  "auth.missing",
  "auth.malformed",
  "auth.invalid",
  "request.malformed_json",
  "request.invalid",
  "request.too_large",
  "model.unknown",
  "model.disabled",
  "balance.insufficient",
  "rate.limited",
  "route.unknown",
  "method.unsupported",
  "upstream.exhausted",
  "upstream.non_retryable",
  "concurrency.limited",
  "idempotency.mismatch",
  "idempotency.in_flight",
  "task.already_terminal",
  "task.not_found",
] as const;
export type Condition = (typeof CONDITIONS)[number];

/** A dotted path into a JSON body, e.g. `error.code`. */
const jsonPath = z.string().regex(/^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/, "a dotted path like error.code");

export const Level = z.enum(["must", "should", "info"]);
export type Level = z.infer<typeof Level>;

export const Envelope = z
  .object({
    /** Where the machine-readable code sits. */
    code: jsonPath,
    /**
     * The code may be null or absent (OpenAI's Error.code is nullable). Checks that expect a code then
     * judge the status alone when there is none; a code that is present must still be the expected one.
     */
    codeOptional: z.boolean().optional(),
    message: jsonPath,
    /** Where the error category sits, if the envelope has one. */
    type: jsonPath.optional(),
    param: jsonPath.optional(),
    /** Fields with a fixed value on every error (`success: false`, `data: null`). */
    fixed: z.record(jsonPath, z.unknown()).default({}),
    /** Where a request id sits in the body, when the profile declares one. */
    requestId: jsonPath.optional(),
    /** Where an ISO 8601 timestamp sits, when the profile declares one. */
    timestamp: jsonPath.optional(),
    /** A body field that repeats Retry-After in seconds. */
    retryAfter: jsonPath.optional(),
    /** A body field that repeats the HTTP status as a number (Google's `error.code`). */
    httpStatus: jsonPath.optional(),
    /** Where a field-specific error names the offending field (`error.details.field`, `error.param`). */
    field: jsonPath.optional(),
    /** Hint fields an agent can act on (lemondata's Agent-First hints). */
    hints: z
      .object({
        /** Must agree with the status: 429 and 5xx true, other 4xx false. */
        retryable: jsonPath.optional(),
        /** When present, must name a model the gateway serves. */
        didYouMean: jsonPath.optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type Envelope = z.infer<typeof Envelope>;

export const CatalogueEntry = z
  .object({
    /** The status the code is answered with; `varies` for codes that keep a provider's status. */
    status: z.union([
      z.number().int().min(100).max(599),
      z.array(z.number().int()).min(1),
      z.literal("varies"),
    ]),
    type: z.string().optional(),
    /** Fields every answer with this code must carry (e.g. `error.active_requests`). */
    requires: z.array(jsonPath).optional(),
    /** Where this entry came from: the public document by name and the sentence quoted, or `docs/contract.md §N`. */
    source: z.string().min(1),
  })
  .strict();
export type CatalogueEntry = z.infer<typeof CatalogueEntry>;

export const Endpoint = z
  .object({
    method: z.enum(["GET", "POST", "PUT", "DELETE", "PATCH"]).default("POST"),
    path: z.string().startsWith("/"),
    dialect: z.enum(["openai", "anthropic", "gemini"]).default("openai"),
  })
  .strict();

const ExhaustionSpec = z
  .object({
    codes: z.array(z.string()).min(1),
    statuses: z.array(z.number().int()).min(1),
    source: z.string(),
  })
  .strict();

const UpstreamErrorSpec = z
  .object({
    code: z.string(),
    /** `provider`: the gateway answers with the provider's status. */
    status: z.union([z.literal("provider"), z.number().int()]),
    source: z.string(),
  })
  .strict();

const RetryAfterSpec = z
  .object({
    level: Level,
    statuses: z.array(z.number().int()).default([429]),
    source: z.string(),
  })
  .strict();

const Conditions = z.partialRecord(z.enum(CONDITIONS), z.union([z.string(), z.array(z.string()).min(1)]));

const Endpoints = z.object({ chat: Endpoint, models: Endpoint.optional() }).strict();

/**
 * An endpoint family with its own error shape (lemondata's and llmapi's Anthropic- and Gemini-compatible
 * paths answer in those native shapes). Whatever it leaves out comes from the profile's top level.
 */
export const Family = z
  .object({
    endpoints: Endpoints,
    contentType: z.string().optional(),
    envelope: Envelope.optional(),
    catalogue: z.record(z.string(), CatalogueEntry).optional(),
    conditions: Conditions.optional(),
    exhaustion: ExhaustionSpec.optional(),
    upstreamError: UpstreamErrorSpec.optional(),
    fieldCodes: z.record(z.string(), z.string()).optional(),
    source: z.string(),
  })
  .strict();
export type Family = z.infer<typeof Family>;

/** Idempotent replay (docs/contract.md §14; IETF draft-ietf-httpapi-idempotency-key-header). */
export const Idempotency = z
  .object({
    header: z.string().default("idempotency-key"),
    level: Level.default("must"),
    /** Status for the same key with another payload: the IETF draft says 422, Stripe 400. */
    mismatchStatus: z.number().int().min(400).max(499),
    /** Status for a duplicate while the first is in flight (409), unless the stored result is returned. */
    conflictStatus: z.number().int().default(409),
    /**
     * A first answer 4xx other than 429 (a provider refused the prompt) is stored and replayed like a
     * success (docs/contract.md §14: "where the profile says so"); otherwise a retry may replay or run again.
     */
    replaysErrors: z.boolean().optional(),
    source: z.string(),
  })
  .strict();
export type Idempotency = z.infer<typeof Idempotency>;

/** An async task lifecycle: submit (202 with an id), poll, cancel. Paths carry `{id}`. */
export const Tasks = z
  .object({
    submit: Endpoint,
    poll: Endpoint,
    cancel: Endpoint,
    /** Where the task id sits in the 202 body, and where its state sits in a poll answer. */
    idField: jsonPath.default("task_id"),
    stateField: jsonPath.default("status"),
    terminalStates: z.array(z.string()).min(1).default(["succeeded", "failed", "canceled"]),
    acceptedStatus: z.number().int().default(202),
    /** The error shape of the task paths, when it differs from the profile's. */
    envelope: Envelope.optional(),
    /** Fields with a fixed value on every 2xx task answer, when the gateway wraps them (`success: true`, `error: null`). */
    fixed: z.record(jsonPath, z.unknown()).default({}),
    /** A valid submit body; `{{prompt}}` is replaced by a generated prompt (with the plan marker), `{{model}}` by the target's model. */
    body: z.record(z.string(), z.unknown()),
    source: z.string(),
  })
  .strict();
export type Tasks = z.infer<typeof Tasks>;

export const Profile = z
  .object({
    name: z.string().min(1),
    description: z.string().default(""),
    /** The gateway's public documentation the contract was encoded from, by name (`Lumenfall API reference, "Errors"`). */
    documentation: z.string().min(1).optional(),
    /** Deprecated: the old name of `documentation`, still read so older profile files load. */
    seed: z.string().optional().meta({ deprecated: true, description: "Deprecated: use documentation." }),
    contentType: z.string().default("application/json"),
    auth: z
      .object({
        header: z.string().default("authorization"),
        /** `bearer`: `Authorization: Bearer <key>`; `raw`: the key alone in the header. */
        scheme: z.enum(["bearer", "raw"]).default("bearer"),
      })
      .strict()
      .default({ header: "authorization", scheme: "bearer" }),
    envelope: Envelope,
    endpoints: Endpoints.default({
      chat: { method: "POST", path: "/v1/chat/completions", dialect: "openai" },
    }),
    catalogue: z.record(z.string(), CatalogueEntry),
    /** Which code each condition yields; a list where the documentation allows several. */
    conditions: Conditions,
    /** Field-specific codes: a request.invalid case that breaks this field expects this code. */
    fieldCodes: z.record(z.string(), z.string()).default({}),
    exhaustion: ExhaustionSpec,
    upstreamError: UpstreamErrorSpec,
    retryAfter: RetryAfterSpec,
    /** Request ids on errors (envelope.requestId): `must` where the documentation promises one on every error. */
    requestId: z
      .object({
        level: Level,
        /** The response header that carries the request id, where the documentation names one (`request-id`). */
        header: z
          .string()
          .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, "an HTTP header name")
          .optional(),
        source: z.string(),
      })
      .strict()
      .optional(),
    families: z.record(z.string(), Family).default({}),
    idempotency: Idempotency.optional(),
    tasks: Tasks.optional(),
    limits: z.object({ maxBodyBytes: z.number().int().positive().optional() }).strict().default({}),
    /** How long the gateway may take to answer when every provider hangs. */
    deadlineMs: z.number().int().positive().default(30_000),
    /** Under an outage run, how soon after the providers recover the gateway must serve 2xx again (REC-001). */
    recoveryS: z.number().positive().max(3_600).default(30),
    /** Upstream attempts one client request may cause in all (AMP-001); without it, at most 2 per provider. */
    maxAttemptsPerRequest: z.number().int().positive().optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    const codes = new Set(Object.keys(p.catalogue));
    for (const [cond, code] of Object.entries(p.conditions)) {
      for (const c of [code].flat()) {
        if (!codes.has(c as string)) {
          ctx.addIssue({
            code: "custom",
            path: ["conditions", cond],
            message: `code "${c}" is not in the catalogue; expected one of ${[...codes].join(", ")}`,
          });
        }
      }
    }
    for (const c of [...p.exhaustion.codes, p.upstreamError.code]) {
      if (!codes.has(c))
        ctx.addIssue({
          code: "custom",
          path: ["exhaustion"],
          message: `code "${c}" is not in the catalogue`,
        });
    }
    // Field codes and every family's codes must be in the catalogue the family sees (its own merged over the top level's).
    const views: Array<[Array<string>, Profile]> = [[[], p as Profile]];
    for (const name of Object.keys(p.families))
      views.push([["families", name], familyProfile(p as Profile, name)]);
    for (const [at, v] of views) {
      const known = new Set(Object.keys(v.catalogue));
      const refs: Array<[string[], string]> = [
        ...Object.entries(v.fieldCodes).map(([f, c]): [string[], string] => [["fieldCodes", f], c]),
      ];
      if (at.length) {
        const f = p.families[at[1]!]!;
        for (const [cond, code] of Object.entries(f.conditions ?? {}))
          for (const c of [code].flat()) refs.push([["conditions", cond], c as string]);
        for (const c of f.exhaustion?.codes ?? []) refs.push([["exhaustion", "codes"], c]);
        if (f.upstreamError) refs.push([["upstreamError", "code"], f.upstreamError.code]);
      }
      for (const [path, c] of refs) {
        if (!known.has(c))
          ctx.addIssue({
            code: "custom",
            path: [...at, ...path],
            message: `code "${c}" is not in the catalogue; expected one of ${[...known].join(", ")}`,
          });
      }
    }
  })
  // `seed:` is read as `documentation:` so a profile written before the rename keeps loading.
  .transform(({ seed, ...p }) =>
    p.documentation === undefined && seed !== undefined ? { ...p, documentation: seed } : p,
  );
export type Profile = z.infer<typeof Profile>;

/**
 * The profile as one endpoint family sees it: the family's parts replace the top level's, and the
 * catalogue and conditions are merged. Checks judge against this, so they need not know families.
 */
export function familyProfile(p: Profile, name: string): Profile {
  if (name === "default") return p;
  const f = p.families[name];
  if (!f) throw new Error(`profile ${p.name} has no family "${name}"`);
  return {
    ...p,
    name: `${p.name}@${name}`,
    endpoints: f.endpoints,
    contentType: f.contentType ?? p.contentType,
    envelope: f.envelope ?? p.envelope,
    catalogue: f.catalogue ? { ...p.catalogue, ...f.catalogue } : p.catalogue,
    conditions: f.conditions ? { ...p.conditions, ...f.conditions } : p.conditions,
    fieldCodes: f.fieldCodes ?? p.fieldCodes,
    exhaustion: f.exhaustion ?? p.exhaustion,
    upstreamError: f.upstreamError ?? p.upstreamError,
    families: {},
  };
}

/** `default` and every declared family. */
export function familyNames(p: Profile): string[] {
  return ["default", ...Object.keys(p.families)];
}
export type ProfileInput = z.input<typeof Profile>;
