import fc from "fast-check";
import { SHAPE_CONDITION, SHAPE_STEPS } from "./checks/request-shape.ts";
import type { RunContext } from "./harness/context.ts";
import type { Property, Suite } from "./harness/property.ts";
import { chatRequest, prompt } from "./harness/requests.ts";
import type { CaseSpec, RequestSpec } from "./harness/types.ts";

interface Variant {
  header: string;
  /** undefined: the header is left out. */
  value?: string;
  stream?: boolean;
}

/**
 * What real clients send instead of the SDKs' headers, the likeliest to trip a gateway first (so
 * shrinking lands on it): no Accept at all (RFC 9110 §12.5.1: "accepts any media type"), curl's and
 * browsers' wildcards, axios' list, charset parameters, other user agents, SSE clients' Accept on streams.
 */
const VARIANTS: Variant[] = [
  { header: "accept" },
  { header: "accept", value: "*/*" },
  { header: "accept", value: "application/json; charset=utf-8" },
  { header: "accept", value: "application/json, text/plain, */*" },
  { header: "accept", value: "text/event-stream", stream: true },
  { header: "user-agent" },
  { header: "user-agent", value: "curl/8.5.0" },
  { header: "user-agent", value: "python-requests/2.32.3" },
  { header: "content-type", value: "application/json; charset=utf-8" },
  { header: "content-type", value: "application/json;charset=UTF-8" },
];

function describeVariant(v: Variant): string {
  const what = v.value === undefined ? `without ${v.header}` : `with ${v.header}: ${v.value}`;
  return v.stream ? `${what} (streamed)` : what;
}

function vary(r: RequestSpec, v: Variant): RequestSpec {
  const headers = Object.fromEntries(Object.entries(r.headers).filter(([k]) => k.toLowerCase() !== v.header));
  if (v.value !== undefined) headers[v.header] = v.value;
  return { ...r, headers };
}

function shapeCase(ctx: RunContext, text: string, v: Variant): CaseSpec {
  const { profile: p, target: t } = ctx;
  const first = ctx.providers[0];
  // With the mock, an `ok` plan pins both requests to a provider that answers: only the headers differ.
  const withMarker = !!ctx.mock && first !== undefined;
  const baseline = chatRequest(p, t, { text, withMarker, stream: v.stream });
  return {
    property: "shape.optional_headers",
    condition: SHAPE_CONDITION,
    request: baseline,
    plan: withMarker ? { providers: { [first]: ["ok"] } } : undefined,
    scenario: {
      steps: [
        { name: SHAPE_STEPS.baseline, request: baseline },
        { name: SHAPE_STEPS.varied, request: vary(baseline, v) },
      ],
      judge: SHAPE_STEPS.varied,
    },
    note: describeVariant(v),
  };
}

const optionalHeaders: Property = {
  id: "shape.optional_headers",
  suite: "request-shape",
  title: "a valid request is answered alike with or without the SDKs' optional headers",
  needsMock: false,
  checks: ["SHAPE-001"],
  arbitrary: (ctx) =>
    fc.tuple(prompt, fc.constantFrom(...VARIANTS)).map(([text, v]) => shapeCase(ctx, text, v)),
};

export const requestShape: Suite = {
  id: "request-shape",
  title: "Request shape: optional headers (Accept, User-Agent, content-type parameters)",
  properties: [optionalHeaders],
};
