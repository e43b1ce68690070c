import { zod } from "./lazy.ts";
import { stepDef, stepIds } from "./steps.ts";

/** JSON Schema as OpenAPI 3.1 embeds it (draft 2020-12). */
type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

/** Each registered step as a schema generated from its zod parameters, so the document never drifts. */
function stepSchemas(): Schema[] {
  return stepIds().map((id) => {
    const def = stepDef(id)!;
    const params = zod().z.toJSONSchema(def.params, { io: "input", unrepresentable: "any" }) as Schema;
    const { $schema: _drop, properties = {}, required = [], ...rest } = params;
    return {
      ...rest,
      title: id,
      description: def.summary,
      type: "object",
      properties: { step: { const: id }, ...(properties as Schema) },
      required: ["step", ...(required as string[])],
    };
  });
}

function schemas(providers: string[]): Record<string, Schema> {
  const step = ref("Step");
  return {
    Error: {
      description: "The one error shape of the whole control API.",
      type: "object",
      required: ["error"],
      properties: {
        error: {
          type: "object",
          required: ["message"],
          properties: { message: { type: "string", minLength: 1 } },
        },
      },
    },
    Step: {
      description: "A step's name alone, or an object with its parameters.",
      oneOf: [{ type: "string", enum: stepIds() }, ...stepSchemas()],
    },
    ProviderPolicy: {
      description: "Steps the provider's successive attempts receive (the last repeats), or a seeded mix.",
      oneOf: [
        step,
        { type: "array", minItems: 1, items: step },
        {
          type: "object",
          required: ["policy", "mix"],
          properties: {
            policy: { const: "probabilistic" },
            mix: {
              type: "array",
              minItems: 1,
              description: "Probabilities add up to 1.",
              items: {
                type: "object",
                required: ["p", "step"],
                properties: { p: { type: "number", minimum: 0, maximum: 1 }, step },
              },
            },
          },
        },
      ],
    },
    PlanInput: {
      type: "object",
      required: ["providers"],
      properties: {
        providers: {
          type: "object",
          propertyNames: providers.length ? { enum: providers } : { type: "string" },
          additionalProperties: ref("ProviderPolicy"),
        },
        seed: {
          type: "integer",
          description: "Seeds probabilistic policies; derived from the id when absent.",
        },
        label: { type: "string", maxLength: 200 },
      },
    },
    PlanCreated: {
      type: "object",
      required: ["id", "marker", "seed", "owner"],
      properties: {
        id: { type: "string" },
        marker: {
          type: "string",
          description: "Put this text in the request body, or send `x-faultline-plan: <id>`.",
        },
        seed: { type: "integer" },
        owner: {
          type: "string",
          description:
            "The owner key: send it as `x-faultline-owner` to read, delete or reset this plan without the control token. The one sent with the request, or a new one.",
        },
      },
    },
    Plan: {
      type: "object",
      required: ["id", "marker", "seed", "providers", "createdAt"],
      properties: {
        id: { type: "string" },
        marker: { type: "string" },
        label: { type: "string" },
        seed: { type: "integer" },
        createdAt: { type: "integer", description: "Epoch milliseconds." },
        providers: {
          type: "object",
          additionalProperties: {
            oneOf: [
              {
                type: "object",
                required: ["kind", "steps"],
                properties: { kind: { const: "sequence" }, steps: { type: "array", items: step } },
              },
              {
                type: "object",
                required: ["kind", "mix"],
                properties: {
                  kind: { const: "probabilistic" },
                  mix: {
                    type: "array",
                    items: { type: "object", properties: { p: { type: "number" }, step } },
                  },
                },
              },
            ],
          },
        },
      },
    },
    JournalEntry: {
      type: "object",
      required: [
        "seq",
        "provider",
        "dialect",
        "attempt",
        "method",
        "path",
        "query",
        "headers",
        "body",
        "bodyTruncated",
        "step",
        "receivedAt",
      ],
      properties: {
        seq: { type: "integer" },
        planId: { type: "string" },
        provider: { type: "string" },
        dialect: { type: "string", enum: ["openai", "anthropic", "gemini"] },
        attempt: { type: "integer", minimum: 1, description: "1-based, per provider within the plan." },
        method: { type: "string" },
        path: { type: "string" },
        query: {
          type: "string",
          description:
            "As received, with credential-named parameters (key, api_key, X-Amz-Signature, …) redacted.",
        },
        headers: {
          type: "object",
          additionalProperties: { type: "string" },
          description:
            "Headers whose names carry credentials (authorization, x-api-key, x-goog-api-key, x-amz-security-token, cookies, …) and configured secrets show only a sha256 fingerprint.",
        },
        body: { type: "string" },
        bodyTruncated: { type: "boolean" },
        step: { type: "object", required: ["step"], properties: { step: { type: "string" } } },
        receivedAt: { type: "integer", description: "Epoch milliseconds." },
        answeredAt: { type: "integer", description: "When the exchange ended (endedAt or closedAt)." },
        endedAt: {
          type: "integer",
          description: "When the mock finished its reply (outcome answered or fault). Epoch milliseconds.",
        },
        closedAt: {
          type: "integer",
          description:
            "When the client closed or aborted the exchange before the mock finished (outcome client_closed). Epoch milliseconds.",
        },
        status: { type: "integer" },
        outcome: { type: "string", enum: ["answered", "fault", "client_closed"] },
      },
    },
    JournalPage: {
      type: "object",
      required: ["entries", "dropped"],
      properties: {
        entries: { type: "array", items: ref("JournalEntry") },
        dropped: {
          type: "integer",
          description: "Entries the overall cap evicted (oldest first) or the per-plan cap refused.",
        },
        planDropped: {
          type: "integer",
          description: "With `plan`: entries of that plan that were not kept.",
        },
      },
    },
    Health: {
      type: "object",
      required: ["ok", "providers", "dialects", "journal", "dropped"],
      properties: {
        ok: { const: true },
        providers: { type: "array", items: { type: "string" } },
        dialects: {
          type: "object",
          additionalProperties: { enum: ["openai", "anthropic", "gemini"] },
          description: "Each provider's dialect.",
        },
        models: {
          type: "object",
          additionalProperties: { type: "array", items: { type: "string" } },
          description: "The models each provider serves (`*`: any); others get the provider's 404.",
        },
        journal: { type: "integer", description: "Entries held now." },
        dropped: { type: "integer" },
        plans: { type: "integer", description: "Plans held now." },
      },
    },
    ScenarioStatus: {
      type: ["object", "null"],
      properties: {
        name: { type: "string" },
        description: { type: "string" },
        seed: { type: "integer" },
        loop: { type: "boolean" },
        state: { type: "string", enum: ["playing", "ended", "stopped", "replaced"] },
        cycle: { type: "integer" },
        phase: { type: ["object", "null"] },
        phases: { type: "array", items: { type: "object" } },
      },
    },
  };
}

const json = (schema: Schema, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [String(s), { $ref: `#/components/responses/E${s}` }]));
const idParam = {
  name: "id",
  in: "path",
  required: true,
  schema: { type: "string", pattern: "^[A-Za-z0-9_-]+$" },
};
const open = { security: [] };
const ownerParam = {
  name: "x-faultline-owner",
  in: "header",
  required: false,
  description:
    "The caller's owner key (16–128 of A-Z a-z 0-9 . _ ~ -). Plans are registered under it; without the control token a caller reaches only its own plans.",
  schema: { type: "string", pattern: "^[A-Za-z0-9._~-]{16,128}$" },
};

function paths(): Record<string, Record<string, unknown>> {
  const page = ref("JournalPage");
  return {
    "/_faultline/health": {
      get: {
        operationId: "health",
        summary: "Liveness, providers, journal size",
        ...open,
        responses: { 200: json(ref("Health"), "Up") },
      },
    },
    "/_faultline/openapi.json": {
      get: {
        operationId: "openapi",
        summary: "This document",
        ...open,
        responses: { 200: json({ type: "object" }, "OpenAPI 3.1") },
      },
    },
    "/_faultline/metrics": {
      get: {
        operationId: "metrics",
        summary:
          "Prometheus metrics: requests, answers by step and status, refusals, journal drops, active plans",
        ...open,
        responses: {
          200: {
            description: "Prometheus text exposition format 0.0.4",
            content: { "text/plain": { schema: { type: "string" } } },
          },
        },
      },
    },
    "/_faultline/plans": {
      post: {
        operationId: "createPlan",
        summary: "Register a plan under the caller's owner key; tie requests to it with its marker",
        parameters: [ownerParam],
        requestBody: { required: true, content: { "application/json": { schema: ref("PlanInput") } } },
        responses: { 201: json(ref("PlanCreated"), "Created"), ...errors(400, 401, 413) },
      },
    },
    "/_faultline/plans/{id}": {
      parameters: [idParam, ownerParam],
      get: {
        operationId: "getPlan",
        summary: "A plan as stored",
        responses: { 200: json(ref("Plan"), "The plan"), ...errors(401, 403, 404) },
      },
      delete: {
        operationId: "deletePlan",
        summary: "Forget a plan and its journal entries (its owner or the control token holder)",
        responses: {
          200: json(
            { type: "object", required: ["deleted"], properties: { deleted: { type: "string" } } },
            "Deleted",
          ),
          ...errors(401, 403, 404),
        },
      },
    },
    "/_faultline/plans/{id}/journal": {
      parameters: [idParam, ownerParam],
      get: {
        operationId: "planJournal",
        summary: "What the providers received for one plan",
        responses: {
          200: json(page, "Entries, oldest first; `dropped` is this plan's count"),
          ...errors(401, 403, 404),
        },
      },
    },
    "/_faultline/journal": {
      get: {
        operationId: "journal",
        summary:
          "Query the journal; filters combine. Without the control token, only `plan=` one of the caller's own plans",
        parameters: [
          { name: "provider", in: "query", schema: { type: "string" } },
          { name: "plan", in: "query", schema: { type: "string" }, description: "A plan id" },
          {
            name: "since",
            in: "query",
            description: "Received at or after: epoch milliseconds or an ISO 8601 time",
            schema: { type: "string" },
          },
          {
            name: "until",
            in: "query",
            description: "Received at or before: same forms as `since`",
            schema: { type: "string" },
          },
          ownerParam,
        ],
        responses: { 200: json(page, "Entries, oldest first"), ...errors(400, 401, 403) },
      },
    },
    "/_faultline/reset": {
      post: {
        operationId: "reset",
        summary:
          "The control token holder: forget every plan and the whole journal, stop the scenario. A client with an owner key: forget its own plans",
        parameters: [ownerParam],
        responses: {
          200: json(
            {
              type: "object",
              properties: {
                ok: { const: true },
                plans: { type: "integer", description: "For an owner's reset: how many of its plans went." },
              },
            },
            "Reset",
          ),
          ...errors(401),
        },
      },
    },
    "/_faultline/secrets": {
      post: {
        operationId: "addSecrets",
        summary: "Add values the journal redacts wherever they appear (the control token holder only)",
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["secrets"],
                properties: { secrets: { type: "array", items: { type: "string", minLength: 8 } } },
              },
            },
          },
        },
        responses: {
          200: json(
            {
              type: "object",
              properties: {
                added: { type: "integer" },
                secrets: { type: "integer", description: "How many the mock redacts now; never the values." },
              },
            },
            "Added; entries already journaled are redacted too",
          ),
          ...errors(400, 401, 403),
        },
      },
    },
    "/_faultline/scenario": {
      get: {
        operationId: "getScenario",
        summary: "The scenario playing now (or last ended), or null",
        responses: {
          200: json({ type: "object", properties: { scenario: ref("ScenarioStatus") } }, "Status"),
          ...errors(401),
        },
      },
      put: {
        operationId: "playScenario",
        summary: "Play a scenario now, replacing any other",
        parameters: [
          { name: "seed", in: "query", schema: { type: "integer", minimum: 0, maximum: 2 ** 32 - 1 } },
        ],
        requestBody: {
          required: true,
          description:
            "A scenario as in fixtures/scenarios/: name, description, seed?, loop?, phases[{name, durationMs, providers}]",
          content: {
            "application/yaml": { schema: { type: "string" } },
            "application/json": { schema: { type: "object" } },
          },
        },
        responses: {
          200: json({ type: "object", properties: { scenario: ref("ScenarioStatus") } }, "Playing"),
          ...errors(400, 401, 403, 413),
        },
      },
      delete: {
        operationId: "stopScenario",
        summary: "Stop the scenario; requests without a plan answer ok again",
        responses: {
          200: json({ type: "object", properties: { stopped: { type: ["string", "null"] } } }, "Stopped"),
          ...errors(401),
        },
      },
    },
  };
}

export interface OpenApiOptions {
  providers?: string[];
  /** Whether the control API asks for a bearer token. */
  token?: boolean;
}

/** The OpenAPI 3.1 description of the control API, served at `/_faultline/openapi.json`. */
export function openApiDocument(opts: OpenApiOptions = {}): Record<string, unknown> {
  const errorResponse = (d: string) => json(ref("Error"), d);
  return {
    openapi: "3.1.0",
    info: {
      title: "Faultline mock control API",
      version: "1",
      description:
        "Plans decide what each simulated provider does to each attempt; the journal records what they received. " +
        "Every error is `{error:{message}}`.",
    },
    servers: [{ url: "/" }],
    ...(opts.token ? { security: [{ bearerAuth: [] }] } : {}),
    paths: paths(),
    components: {
      schemas: schemas(opts.providers ?? []),
      responses: {
        E400: errorResponse("Invalid input; the message names the field"),
        E401: errorResponse("Missing or wrong bearer token"),
        E403: errorResponse("The plan or call belongs to another client or to the control token holder"),
        E404: errorResponse("No such plan (it may have expired or been deleted)"),
        E413: errorResponse(
          "Past a limit; the message names it (maxControlBodyBytes, maxPlanSteps, maxPlans, …)",
        ),
      },
      securitySchemes: { bearerAuth: { type: "http", scheme: "bearer" } },
    },
  };
}
