/**
 * `faultline/mock`: the mock upstream on its own — simulated OpenAI, Anthropic and Gemini providers
 * whose every attempt a plan decides, with a journal of what they received.
 *
 * @example
 * import { startMock } from "faultline/mock";
 * const mock = await startMock({ providers: [{ name: "alpha", dialect: "openai", models: ["gpt-4o-mini"] }] });
 * const plan = mock.engine.addPlan({ providers: { alpha: ["rate_limit", "ok"] } });
 * // send requests carrying plan.marker to mock.providerUrl("alpha"), then:
 * mock.engine.journal.query({ planId: plan.id });
 * await mock.close();
 *
 * The in-process adapters have entries of their own, so importing this one never loads msw or nock
 * (nock patches node:http as soon as it is imported):
 * `faultline/mock/msw` (`faultlineHandlers`) and `faultline/mock/nock` (`faultlineNock`).
 */

/* Secrets */
// Redaction used everywhere the mock writes: a key shows only as `[redacted sha256:1a2b3c4d]`.
// Redactor: credential-named headers and query parameters, and the secrets a user configured.
export { fingerprint, isSecretName, Redactor, redactHeaders, redactText } from "../core/redact.ts";
/* Journal and control API */
// Answers `/_faultline/*` (plans, journal, reset, health, metrics, openapi.json) as a Reply; plans belong
// to the owner key a client sends as OWNER_HEADER, and the control token holder may do anything.
export {
  type Access,
  CONTROL_PREFIX,
  CONTROL_ROUTES,
  type ControlOptions,
  control,
  OWNER_HEADER,
} from "./control.ts";
/* Dialects */
// How a provider family talks (bodies, headers, SSE framing, errors); register your own with registerDialect.
export { dialect, dialectIds, registerDialect } from "./dialects/index.ts";
export type { Dialect, DialectContext, ErrorKind } from "./dialects/types.ts";
/* The decision engine */
// Decides each attempt as data (`decide(request) → {reply, entry}`) and holds plans and the journal.
export {
  DEFAULT_PROVIDERS,
  type Decision,
  type DefaultPolicy,
  type EngineOptions,
  MockEngine,
  type ProviderConfig,
} from "./engine.ts";
// The same routing for runtimes without a socket; the base of the msw and nock adapters.
export { type Answer, answer, DEFAULT_BASE_URL, type InProcessOptions } from "./inprocess.ts";
// The bounded journal: per-plan and overall caps, with counts of what was dropped.
export { Journal, type JournalEntry, type JournalLimits, type JournalQuery } from "./journal.ts";
/* Limits */
// What the mock accepts before it refuses (413/400 naming the limit): `startMock({limits: {…}})`.
export { DEFAULT_LIMITS, LimitError, type MockLimits } from "./limits.ts";
// Counters read at scrape time into Prometheus text (`GET /_faultline/metrics`).
export { MockMetrics } from "./metrics.ts";
// The OpenAPI 3.1 description of the control API.
export { openApiDocument } from "./openapi.ts";
/* Plans */
// Validates a plan; PlanError messages name the field (`plan.providers.alpha[1]: unknown step …`).
export { type Plan, PlanError, type ProviderPolicy, parsePlan, type StepSpec } from "./plan.ts";
/* Transports */
// The one reply player: delays, chunk timing, hangs, cuts and resets played into a small sink, the
// exchange's outcome decided once. The socket server and both adapters are sinks; write your own for another runtime.
export {
  type FaultKind,
  type Gone,
  type GoneListener,
  MAX_HANG_MS,
  type Outcome,
  type PlayReport,
  play,
  type ReplySink,
} from "./player.ts";
// Plays one scenario and tells each phase change.
export { type ScenarioEvent, ScenarioPlayer, type ScenarioStatus } from "./scenario.ts";
/* Scenarios */
// Time-phased outages for the whole mock (fixtures/scenarios/), validated with errors that name the field.
export {
  builtinScenarios,
  loadScenarioFile,
  parseScenarioText,
  type Scenario,
  ScenarioError,
} from "./scenario-schema.ts";
/* Running the mock */
// Starts the mock on a socket (loopback by default); answers its URL, engine and close().
export { type MockServer, type MockServerOptions, startMock } from "./server.ts";
/* Steps: faults and answers */
// The registry of steps (`ok`, `rate_limit`, `reset`, `stream_cut`, …); add your own with registerStep.
export {
  defineStep,
  registerStep,
  STEPS,
  type StepContext,
  type StepDef,
  stepDef,
  stepIds,
} from "./steps.ts";
// node:http glue: a MockRequest from an IncomingMessage, a Reply (faults included) onto a ServerResponse.
export { NODE_SINK, readRequest, writeReply } from "./transport.ts";
export type { Chunk, DialectId, MockRequest, Reply } from "./types.ts";
