import { z } from "zod";

/** Conditions the harness can create (CONTRACTS.md, "Conditions the harness creates"). */
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
    /** Where this entry came from: seed file and line. */
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

export const Profile = z
  .object({
    name: z.string().min(1),
    description: z.string().default(""),
    /** The seed document the contract was encoded from. */
    seed: z.string().optional(),
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
    endpoints: z
      .object({ chat: Endpoint, models: Endpoint.optional() })
      .strict()
      .default({ chat: { method: "POST", path: "/v1/chat/completions", dialect: "openai" } }),
    catalogue: z.record(z.string(), CatalogueEntry),
    /** Which code each condition yields; a list where the seed allows several. */
    conditions: z.partialRecord(z.enum(CONDITIONS), z.union([z.string(), z.array(z.string()).min(1)])),
    exhaustion: z
      .object({
        codes: z.array(z.string()).min(1),
        statuses: z.array(z.number().int()).min(1),
        source: z.string(),
      })
      .strict(),
    upstreamError: z
      .object({
        code: z.string(),
        /** `provider`: the gateway answers with the provider's status. */
        status: z.union([z.literal("provider"), z.number().int()]),
        source: z.string(),
      })
      .strict(),
    retryAfter: z
      .object({
        level: Level,
        statuses: z.array(z.number().int()).default([429]),
        source: z.string(),
      })
      .strict(),
    limits: z.object({ maxBodyBytes: z.number().int().positive().optional() }).strict().default({}),
    /** How long the gateway may take to answer when every provider hangs. */
    deadlineMs: z.number().int().positive().default(30_000),
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
  });
export type Profile = z.infer<typeof Profile>;
export type ProfileInput = z.input<typeof Profile>;
