import fc from "fast-check";
import type { RunContext } from "./harness/context.ts";
import type { Property, Suite } from "./harness/property.ts";
import { authHeader, chatBody, chatRequest, prompt } from "./harness/requests.ts";
import type { CaseSpec, RequestSpec } from "./harness/types.ts";
import type { Condition, Profile } from "./profile/schema.ts";

const CLIENT_CHECKS = [
  "REJ-001",
  "REJ-002",
  "SRV-001",
  "COND-001",
  "TRN-001",
  "ENV-001",
  "ENV-002",
  "ENV-003",
];

function expectCodes(p: Profile, cond: Condition): string[] | undefined {
  const c = p.conditions[cond];
  return c === undefined ? undefined : [c].flat();
}

function caseOf(
  ctx: RunContext,
  property: string,
  condition: Condition,
  request: RequestSpec,
  note?: string,
): CaseSpec {
  return { property, condition, request, expectCodes: expectCodes(ctx.profile, condition), note };
}

const auth: Property = {
  id: "blackbox.auth",
  suite: "blackbox",
  title: "missing, malformed and unknown credentials are rejected with the auth code",
  needsMock: false,
  checks: CLIENT_CHECKS,
  arbitrary(ctx) {
    const { profile: p, target: t } = ctx;
    const headerName = p.auth.header;
    const unknownKey = fc.stringMatching(/^[A-Za-z0-9]{12,32}$/).map((s) => `fl-unknown-${s}`);
    const malformed = fc.oneof(
      fc.constant(`Token ${t.apiKey}`),
      fc.constant("Bearer"),
      fc.constant("Bearer "),
      fc.constant(`Bearer  ${t.apiKey}`),
      fc.constant(`Basic ${Buffer.from(`user:${t.apiKey}`).toString("base64")}`),
      fc.constant(`${t.apiKey} Bearer`),
      fc.constant(`Bearer:${t.apiKey}`),
    );
    return fc
      .tuple(
        prompt,
        fc.oneof(
          fc.constant<{ cond: Condition; value?: string }>({ cond: "auth.missing" }),
          malformed.map((value) => ({ cond: "auth.malformed" as Condition, value })),
          unknownKey.map((k) => ({ cond: "auth.invalid" as Condition, value: authHeader(p, k)[headerName] })),
        ),
      )
      .map(([text, a]) => {
        const req = chatRequest(p, t, chatBody(t, text));
        const headers = { ...req.headers };
        delete headers[headerName];
        if (a.value !== undefined && p.auth.scheme === "bearer") headers[headerName] = a.value;
        else if (a.value !== undefined && a.cond === "auth.invalid") headers[headerName] = a.value;
        // A raw-key scheme has no malformed form other than an empty value.
        else if (a.value !== undefined) headers[headerName] = "";
        return caseOf(ctx, "blackbox.auth", a.cond, { ...req, headers });
      });
  },
};

const malformedJson: Property = {
  id: "blackbox.malformed_json",
  suite: "blackbox",
  title: "bodies that are not JSON are rejected with the request code",
  needsMock: false,
  checks: CLIENT_CHECKS,
  arbitrary(ctx) {
    const { profile: p, target: t } = ctx;
    return fc
      .tuple(
        prompt,
        fc.constantFrom("truncated", "trailing", "empty", "text", "single-quotes", "nul"),
        fc.constantFrom("application/json", "text/plain"),
        fc.nat(),
      )
      .map(([text, kind, ct, n]) => {
        const valid = JSON.stringify(chatBody(t, text));
        const body = {
          truncated: valid.slice(0, 1 + (n % (valid.length - 1))),
          trailing: `${valid}}garbage`,
          empty: "",
          text,
          "single-quotes": valid.replace(/"/g, "'"),
          nul: `${valid.slice(0, 10)}\u0000${valid.slice(10)}`,
        }[kind];
        const req = chatRequest(p, t, body);
        return caseOf(
          ctx,
          "blackbox.malformed_json",
          "request.malformed_json",
          {
            ...req,
            headers: { ...req.headers, "content-type": ct },
          },
          kind,
        );
      });
  },
};

/** Schemathesis-style negative data: drop a required field, change a type, break a bound. */
const INVALID: Array<[string, (b: Record<string, unknown>) => void]> = [
  ["no model", (b) => delete b.model],
  ["model not a string", (b) => (b.model = 42)],
  ["no messages", (b) => delete b.messages],
  ["messages not a list", (b) => (b.messages = "hello")],
  ["empty messages", (b) => (b.messages = [])],
  ["message without role", (b) => (b.messages = [{ content: "hi" }])],
  ["unknown role", (b) => (b.messages = [{ role: "wizard", content: "hi" }])],
  ["content a number", (b) => (b.messages = [{ role: "user", content: 7 }])],
  ["temperature above 2", (b) => (b.temperature = 2.5)],
  ["temperature below 0", (b) => (b.temperature = -0.1)],
  ["temperature a string", (b) => (b.temperature = "hot")],
  ["max_tokens zero", (b) => (b.max_tokens = 0)],
  ["max_tokens negative", (b) => (b.max_tokens = -5)],
  ["max_tokens fractional", (b) => (b.max_tokens = 1.5)],
  ["top_p above 1", (b) => (b.top_p = 1.5)],
  ["n zero", (b) => (b.n = 0)],
  ["stream not boolean", (b) => (b.stream = "yes")],
  ["body an array", () => undefined],
];

const invalid: Property = {
  id: "blackbox.invalid",
  suite: "blackbox",
  title: "JSON that breaks the endpoint's schema is rejected with the request code",
  needsMock: false,
  checks: CLIENT_CHECKS,
  arbitrary(ctx) {
    const { profile: p, target: t } = ctx;
    return fc.tuple(prompt, fc.integer({ min: 0, max: INVALID.length - 1 })).map(([text, i]) => {
      const [name, mutate] = INVALID[i]!;
      const body = chatBody(t, text);
      mutate(body);
      const raw = name === "body an array" ? [body] : body;
      return caseOf(ctx, "blackbox.invalid", "request.invalid", chatRequest(p, t, raw), name);
    });
  },
};

const unknownModel: Property = {
  id: "blackbox.model_unknown",
  suite: "blackbox",
  title: "a model that is not in the catalogue is rejected with the model code",
  needsMock: false,
  checks: CLIENT_CHECKS,
  arbitrary(ctx) {
    const { profile: p, target: t } = ctx;
    return fc
      .tuple(prompt, fc.stringMatching(/^[a-z][a-z0-9.-]{2,24}$/))
      .map(([text, name]) =>
        caseOf(
          ctx,
          "blackbox.model_unknown",
          "model.unknown",
          chatRequest(p, t, chatBody(t, text, { model: `nonexistent-${name}` })),
        ),
      );
  },
};

const fixtures: Property = {
  id: "blackbox.fixtures",
  suite: "blackbox",
  title: "the target's fixtures (disabled model, broke key, limited key) yield their codes",
  needsMock: false,
  checks: [...CLIENT_CHECKS, "RA-001"],
  skip: ({ target: t }) =>
    t.disabledModel || t.brokeKey || t.limitedKey
      ? undefined
      : "the target supplies no fixture (--disabled-model, --broke-key, --limited-key)",
  arbitrary(ctx) {
    const { profile: p, target: t } = ctx;
    const options: Array<fc.Arbitrary<CaseSpec>> = [];
    if (t.disabledModel) {
      options.push(
        prompt.map((x) =>
          caseOf(
            ctx,
            "blackbox.fixtures",
            "model.disabled",
            chatRequest(p, t, chatBody(t, x, { model: t.disabledModel })),
          ),
        ),
      );
    }
    if (t.brokeKey) {
      options.push(
        prompt.map((x) =>
          caseOf(
            ctx,
            "blackbox.fixtures",
            "balance.insufficient",
            chatRequest(p, t, chatBody(t, x), { key: t.brokeKey }),
          ),
        ),
      );
    }
    if (t.limitedKey) {
      options.push(
        prompt.map((x) =>
          caseOf(
            ctx,
            "blackbox.fixtures",
            "rate.limited",
            chatRequest(p, t, chatBody(t, x), { key: t.limitedKey }),
          ),
        ),
      );
    }
    return fc.oneof(...options);
  },
};

const routes: Property = {
  id: "blackbox.routes",
  suite: "blackbox",
  title: "unknown routes and methods answer 404 / 405 in JSON",
  needsMock: false,
  checks: ["ROUTE-001", "SRV-001", "TRN-001"],
  arbitrary(ctx) {
    const { profile: p, target: t } = ctx;
    const headers = { ...t.headers, ...authHeader(p, t.apiKey) };
    return fc.oneof(
      fc
        .stringMatching(/^[a-z]{3,12}$/)
        .map((seg) =>
          caseOf(ctx, "blackbox.routes", "route.unknown", {
            method: "GET",
            path: `/v1/faultline-${seg}`,
            headers,
          }),
        ),
      fc
        .constantFrom("GET", "DELETE", "PUT")
        .map((method) =>
          caseOf(ctx, "blackbox.routes", "method.unsupported", {
            method,
            path: p.endpoints.chat.path,
            headers,
          }),
        ),
    );
  },
};

export const blackbox: Suite = {
  id: "blackbox",
  title: "Black-box: authentication, validation, catalogue, routes",
  properties: [auth, malformedJson, invalid, unknownModel, fixtures, routes],
};
