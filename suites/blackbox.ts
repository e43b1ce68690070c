import fc from "fast-check";
import type { Condition, Profile } from "../core/profile/schema.ts";
import type { RunContext } from "./harness/context.ts";
import type { Property, Suite } from "./harness/property.ts";
import { authHeader, type ChatOptions, chatRequest, clientDialect, prompt } from "./harness/requests.ts";
import { type CaseSpec, PLAN_PLACEHOLDER, type RequestSpec } from "./harness/types.ts";

const CLIENT_CHECKS = [
  "REJ-001",
  "REJ-002",
  "SRV-001",
  "COND-001",
  "TRN-001",
  "ENV-001",
  "ENV-002",
  "ENV-003",
  "BILL-001",
  "INT-001",
];

function expectCodes(p: Profile, cond: Condition): string[] | undefined {
  const c = p.conditions[cond];
  return c === undefined ? undefined : [c].flat();
}

/**
 * With the mock, a request that carries the plan marker gets an `ok` plan on every provider: no provider
 * should be asked, and the journal shows it when one is (BILL-001, docs/contract.md §19).
 */
function caseOf(
  ctx: RunContext,
  property: string,
  condition: Condition,
  request: RequestSpec,
  note?: string,
): CaseSpec {
  const c: CaseSpec = {
    property,
    condition,
    request,
    expectCodes: expectCodes(ctx.profile, condition),
    note,
  };
  if (!ctx.mock || !request.body?.includes(PLAN_PLACEHOLDER)) return c;
  return { ...c, plan: { providers: Object.fromEntries(ctx.providers.map((n) => [n, ["ok"]])) } };
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
        const req = chatRequest(p, t, { text, withMarker: !!ctx.mock });
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
        const valid = chatRequest(p, t, { text, withMarker: !!ctx.mock }).body!;
        const body = {
          truncated: valid.slice(0, 1 + (n % (valid.length - 1))),
          trailing: `${valid}}garbage`,
          empty: "",
          text,
          "single-quotes": valid.replace(/"/g, "'"),
          nul: `${valid.slice(0, 10)}\u0000${valid.slice(10)}`,
        }[kind];
        const req = chatRequest(p, t, { text, raw: body });
        return caseOf(
          ctx,
          "blackbox.malformed_json",
          "request.malformed_json",
          {
            ...req,
            // An empty body is sent as JSON: empty and text/plain is refused for its type before its body is read.
            headers: { ...req.headers, "content-type": kind === "empty" ? "application/json" : ct },
          },
          kind,
        );
      });
  },
};

const invalid: Property = {
  id: "blackbox.invalid",
  suite: "blackbox",
  title: "JSON that breaks the endpoint's schema is rejected with the request code",
  needsMock: false,
  checks: CLIENT_CHECKS,
  arbitrary(ctx) {
    const { profile: p, target: t } = ctx;
    // Schemathesis-style negative data: drop a required field, change a type, break a bound just outside it.
    const breakages = clientDialect(p).breakages;
    return fc.tuple(prompt, fc.integer({ min: 0, max: breakages.length - 1 })).map(([text, i]) => {
      const b = breakages[i]!;
      const c = caseOf(
        ctx,
        "blackbox.invalid",
        "request.invalid",
        chatRequest(p, t, { text, mutate: b.mutate, withMarker: !!ctx.mock }),
        b.name,
      );
      const fieldCode = b.field ? p.fieldCodes[b.field] : undefined;
      return fieldCode ? { ...c, expectCodes: [fieldCode], expectField: b.field } : c;
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
          chatRequest(p, t, { text, model: `nonexistent-${name}`, withMarker: !!ctx.mock }),
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
    // Each fixture the target supplies: the condition it creates and how the request uses it.
    const withMarker = !!ctx.mock;
    const fixtures: Array<[Condition, string | undefined, (x: string) => ChatOptions]> = [
      ["model.disabled", t.disabledModel, (x) => ({ text: x, model: t.disabledModel, withMarker })],
      ["balance.insufficient", t.brokeKey, (x) => ({ text: x, key: t.brokeKey, withMarker })],
      ["rate.limited", t.limitedKey, (x) => ({ text: x, key: t.limitedKey, withMarker })],
    ];
    const options = fixtures
      .filter(([, supplied]) => supplied)
      .map(([cond, , opts]) =>
        prompt.map((x) => caseOf(ctx, "blackbox.fixtures", cond, chatRequest(p, t, opts(x)))),
      );
    return fc.oneof(...options);
  },
};

/** The mock holds the first request this long; the reference gateway's attempt timeout must exceed it. */
const HOLD_MS = 200;

const concurrency: Property = {
  id: "blackbox.concurrency",
  suite: "blackbox",
  title: "a second request while the concurrency-limited key has one in flight yields the concurrency code",
  needsMock: true,
  perFamily: false,
  runs: (ctx) => Math.min(ctx.runs, 5),
  checks: [...CLIENT_CHECKS, "ENV-005"],
  skip: ({ profile: p, target: t }) =>
    !p.conditions["concurrency.limited"]
      ? "the profile maps no code for concurrency.limited"
      : t.concurrencyKey
        ? undefined
        : "the target supplies no concurrency-limited key (--concurrency-key)",
  arbitrary(ctx) {
    const { profile: p, target: t } = ctx;
    return prompt.map((text): CaseSpec => {
      const request = chatRequest(p, t, { text, key: t.concurrencyKey, withMarker: true });
      return {
        ...caseOf(ctx, "blackbox.concurrency", "concurrency.limited", request),
        plan: {
          providers: Object.fromEntries(ctx.providers.map((n) => [n, [{ step: "ok", delayMs: HOLD_MS }]])),
        },
        scenario: {
          steps: [
            { name: "first", request },
            { name: "second", request, startAfterMs: HOLD_MS / 4 },
          ],
          judge: "second",
        },
      };
    });
  },
};

const tooLarge: Property = {
  id: "blackbox.too_large",
  suite: "blackbox",
  title: "a body above the declared limit is rejected with the size code",
  needsMock: false,
  runs: (ctx) => Math.min(ctx.runs, 5),
  checks: CLIENT_CHECKS,
  skip: ({ profile: p }) =>
    p.limits.maxBodyBytes ? undefined : "the profile declares no body size limit (limits.maxBodyBytes)",
  arbitrary(ctx) {
    const { profile: p, target: t } = ctx;
    const limit = p.limits.maxBodyBytes ?? 0;
    // Just over the limit, and well over it: the boundary and the obvious case.
    return fc.tuple(prompt, fc.constantFrom(1, 1024, limit)).map(([text, over]) => {
      const padding = "x".repeat(limit + over);
      return caseOf(
        ctx,
        "blackbox.too_large",
        "request.too_large",
        chatRequest(p, t, { text: `${text} ${padding}`, withMarker: !!ctx.mock }),
        `${over} bytes over`,
      );
    });
  },
};

const routes: Property = {
  id: "blackbox.routes",
  suite: "blackbox",
  title: "unknown routes and methods answer 404 / 405 in JSON",
  needsMock: false,
  perFamily: false,
  checks: ["ROUTE-001", "SRV-001", "TRN-001"],
  arbitrary(ctx) {
    const { profile: p, target: t } = ctx;
    const headers = { ...t.headers, ...authHeader(p, t.apiKey) };
    return fc.oneof(
      fc.stringMatching(/^[a-z]{3,12}$/).map((seg) =>
        caseOf(ctx, "blackbox.routes", "route.unknown", {
          method: "GET",
          path: `/v1/faultline-${seg}`,
          headers,
        }),
      ),
      fc.constantFrom("GET", "DELETE", "PUT").map((method) =>
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
  properties: [auth, malformedJson, invalid, unknownModel, fixtures, concurrency, tooLarge, routes],
};
