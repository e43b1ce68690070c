import { getPath, hasPath } from "../../core/json-path.ts";
import type { Profile } from "../../core/profile/schema.ts";
import { defineCheck } from "./registry.ts";
import { codeOf, is2xx, isError, show, statusesFor } from "./util.ts";

const ROUTES = new Set(["route.unknown", "method.unsupported"]);
const SRC = "docs/contract.md §1 Envelope";

defineCheck({
  id: "TRN-001",
  level: "must",
  title: "The gateway answers with an HTTP response",
  sentence:
    "The gateway answers within the profile's deadline; the harness never waits past its own deadline.",
  source: "docs/contract.md §11 Deadline",
  fix: "Make sure no request path crashes, resets or leaves the client connection open without an answer.",
  // A client that hung up on purpose (§22's property) asked for no answer.
  applies: (j) => !j.case.condition.startsWith("upstream.stream") && !j.exchange.clientLeft,
  judge: (j) =>
    j.exchange.status === undefined
      ? {
          expected: "an HTTP response",
          received: j.exchange.error ? `${j.exchange.error.code}: ${j.exchange.error.message}` : "nothing",
        }
      : undefined,
});

defineCheck({
  id: "ENV-001",
  level: "must",
  title: "Every error is the profile's JSON envelope",
  sentence:
    "Every non-2xx response is JSON of the profile's content type and matches the envelope of its endpoint family; its message is a non-empty string.",
  source: SRC,
  fix: "Render every error (including framework defaults and proxy errors) through one function that builds the documented envelope.",
  applies: (j) => isError(j.exchange.status) && !ROUTES.has(j.case.condition),
  judge({ exchange: ex, profile: p }) {
    const ct = ex.headers["content-type"] ?? "";
    if (!ct.toLowerCase().startsWith(p.contentType)) {
      return { expected: `content-type ${p.contentType}`, received: `content-type ${show(ct || undefined)}` };
    }
    if (ex.json === undefined) return { expected: "a JSON body", received: show(ex.raw) };
    const env = p.envelope;
    const msg = getPath(ex.json, env.message);
    if (typeof msg !== "string" || msg.trim() === "") {
      return {
        expected: `${env.message}: a non-empty string`,
        received: `${env.message}: ${show(msg)} in ${show(ex.json)}`,
      };
    }
    const code = getPath(ex.json, env.code);
    const noCodeAllowed = env.codeOptional && (code === null || code === undefined);
    if (!noCodeAllowed && (typeof code !== "string" || code === "")) {
      return {
        expected: `${env.code}: a string code${env.codeOptional ? " or null" : ""}`,
        received: `${env.code}: ${show(code)} in ${show(ex.json)}`,
      };
    }
    for (const [path, value] of Object.entries(env.fixed)) {
      if (!hasPath(ex.json, path) || JSON.stringify(getPath(ex.json, path)) !== JSON.stringify(value)) {
        return { expected: `${path}: ${show(value)}`, received: `${path}: ${show(getPath(ex.json, path))}` };
      }
    }
    if (env.type && typeof getPath(ex.json, env.type) !== "string") {
      return {
        expected: `${env.type}: a string`,
        received: `${env.type}: ${show(getPath(ex.json, env.type))}`,
      };
    }
    return undefined;
  },
});

defineCheck({
  id: "ENV-002",
  level: "must",
  title: "Error codes come from the catalogue",
  sentence: "Every non-2xx response's code is in the catalogue.",
  source: SRC,
  fix: "Use only the codes the gateway documents; map internal errors onto one of them.",
  applies: (j) =>
    isError(j.exchange.status) &&
    !ROUTES.has(j.case.condition) &&
    typeof codeOf(j.exchange, j.profile) === "string",
  judge({ exchange: ex, profile: p }) {
    const code = codeOf(ex, p) as string;
    return p.catalogue[code]
      ? undefined
      : {
          expected: `a code from the catalogue (${Object.keys(p.catalogue).join(", ")})`,
          received: show(code),
        };
  },
});

function upstreamStatusKept(p: Profile, code: string): boolean {
  if (p.upstreamError.status !== "provider") return false;
  const codes = [p.upstreamError.code, ...[p.conditions["upstream.non_retryable"] ?? []].flat()];
  return codes.includes(code);
}

defineCheck({
  id: "ENV-003",
  level: "must",
  title: "Status matches the catalogue",
  sentence: "An error's status is the catalogue's status for its code.",
  source: SRC,
  fix: "Answer each code with the HTTP status the documentation gives it.",
  applies: (j) => isError(j.exchange.status) && !!j.profile.catalogue[String(codeOf(j.exchange, j.profile))],
  judge({ exchange: ex, profile: p }) {
    const code = String(codeOf(ex, p));
    const want = statusesFor(p, code);
    if (!want || want === "varies") return undefined;
    // The upstream error code keeps the provider's status where the profile says so (docs/contract.md §8):
    // any status a provider of this very case answered is the right one, whatever the catalogue lists.
    if (upstreamStatusKept(p, code) && ex.journal?.some((e) => e.status === ex.status)) return undefined;
    return want.includes(ex.status!)
      ? undefined
      : {
          expected: `${code} with status ${want.join(" or ")}`,
          received: `${code} with status ${ex.status}`,
        };
  },
});

defineCheck({
  id: "ENV-004",
  level: "must",
  title: "No error behind a 200",
  sentence: "A 2xx response is never an error envelope.",
  source: "docs/contract.md §5",
  fix: "Answer failures with an error status; never wrap an error in a 200.",
  applies: (j) => is2xx(j.exchange.status) && j.exchange.json !== undefined,
  judge({ exchange: ex, profile: p }) {
    const j = ex.json as Record<string, unknown>;
    const looksLikeError =
      (typeof j === "object" && j !== null && typeof j.error === "object" && j.error !== null) ||
      typeof getPath(j, p.envelope.code) === "string";
    return looksLikeError
      ? { expected: "a success body", received: `${ex.status} ${show(ex.json)}` }
      : undefined;
  },
});
