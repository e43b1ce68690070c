import { getPath } from "../../core/json-path.ts";
import { defineCheck } from "./registry.ts";
import { CLIENT_SIDE, codeAccepted, codeOf, describeResponse, is2xx, show, statusesFor } from "./util.ts";

defineCheck({
  id: "REJ-001",
  level: "must",
  title: "Bad credentials are never accepted",
  sentence: "No auth.* condition yields 2xx (ignored auth is a security defect).",
  source: "docs/contract.md §3 Rejection",
  fix: "Authenticate before routing: a missing, malformed or unknown key must be rejected.",
  applies: (j) => j.case.condition.startsWith("auth."),
  judge: (j) =>
    is2xx(j.exchange.status)
      ? { expected: "a 4xx rejection", received: describeResponse(j.exchange) }
      : undefined,
});

defineCheck({
  id: "REJ-002",
  level: "must",
  title: "Invalid requests are never accepted",
  sentence: "No request.* or model.unknown condition yields 2xx.",
  source: "docs/contract.md §3 Rejection",
  fix: "Validate the body and the model before routing upstream.",
  applies: (j) => j.case.condition.startsWith("request.") || j.case.condition.startsWith("model."),
  judge: (j) =>
    is2xx(j.exchange.status)
      ? { expected: "a 4xx rejection", received: describeResponse(j.exchange) }
      : undefined,
});

defineCheck({
  id: "SRV-001",
  level: "must",
  title: "Client mistakes are not server errors",
  sentence: "No client-side condition yields 5xx.",
  source: "docs/contract.md §2 Not a server error",
  fix: "Catch parse and validation failures and answer them with their 4xx code.",
  applies: (j) => CLIENT_SIDE.has(j.case.condition) && j.exchange.status !== undefined,
  judge: (j) =>
    j.exchange.status! >= 500
      ? { expected: "a 4xx status", received: describeResponse(j.exchange) }
      : undefined,
});

defineCheck({
  id: "COND-001",
  level: "must",
  title: "Each condition yields its code",
  sentence: "Each condition yields the code the profile maps it to.",
  source: "docs/contract.md §4 Condition → code",
  fix: "Map the condition to the documented code and status.",
  applies: (j) =>
    !!j.case.expectCodes?.length && j.exchange.status !== undefined && !is2xx(j.exchange.status),
  judge({ exchange: ex, profile: p, case: c }) {
    const code = codeOf(ex, p);
    const codes = c.expectCodes!;
    const statuses = codes.flatMap((k) => {
      const s = statusesFor(p, k);
      return s === "varies" || !s ? [] : s;
    });
    const codeOk = codeAccepted(p, code, codes);
    const statusOk = statuses.length === 0 || statuses.includes(ex.status!);
    if (codeOk && statusOk) return undefined;
    return {
      expected: `${c.condition} → ${codes.join(" or ")}${statuses.length ? ` (${[...new Set(statuses)].join("/")})` : ""}`,
      received: `${show(code)} (${ex.status})`,
    };
  },
});

function anyMessage(json: unknown, path: string): unknown {
  return getPath(json, path) ?? getPath(json, "error.message") ?? getPath(json, "message");
}

defineCheck({
  id: "ROUTE-001",
  level: "should",
  title: "Unknown routes and methods answer 404 / 405 in JSON",
  sentence:
    "An unknown path answers 404 and a wrong method 405 (or 404), each with a JSON body carrying a non-empty message.",
  source: "docs/contract.md §16 Unknown routes and methods",
  fix: "Add a JSON not-found and method-not-allowed handler in front of the framework's defaults.",
  applies: (j) =>
    (j.case.condition === "route.unknown" || j.case.condition === "method.unsupported") &&
    j.exchange.status !== undefined,
  judge({ exchange: ex, case: c, profile: p }) {
    const want = c.condition === "route.unknown" ? [404] : [405, 404];
    const msg = anyMessage(ex.json, p.envelope.message);
    if (want.includes(ex.status!) && typeof msg === "string" && msg.trim() !== "") return undefined;
    return { expected: `${want.join(" or ")} with a JSON message`, received: describeResponse(ex) };
  },
});
