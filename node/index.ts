/**
 * `faultline/node`: Faultline from a Node program — run the suites, replay a case, start the mock or the
 * reference gateway. Nothing here prints or touches the process's signals, and the target comes from the
 * options alone (pass `env: process.env` to read FAULTLINE_* variables too). Examples: docs/node-api.md.
 */

import { loadProfile } from "../core/profile/load.ts";
import type { Profile } from "../core/profile/schema.ts";
import { type Gateway, type GatewayOptions, startGateway, type Upstream } from "../gateway/index.ts";
import type { MockServer } from "../mocks/server.ts";
import { type ReplayFlags, type ReplayOutcome, replayCase } from "./replay.ts";
import { type HarnessOutcome, type RunFlags, type RunHooks, runHarness } from "./run.ts";

export type { Profile } from "../core/profile/schema.ts";
export type { Gateway, Upstream } from "../gateway/index.ts";
export type { MockServer, MockServerOptions } from "../mocks/server.ts";
export type {
  CaseProgress,
  CheckOutcome,
  CheckResult,
  PropertyOutcome,
  PropertyStatus,
  RunResult,
  ViolationRecord,
} from "../suites/harness/runner.ts";
export type { ReplayVerdict } from "./replay.ts";

/**
 * The flags of `faultline run`, by their camel-case names (`profile` defaults to `lumenfall`), and what to
 * hear while it goes: `onLine` (each line the CLI would print), `onCase` (after every case: the property,
 * cases done of requested, failures so far), `onProperty` (each property's outcome), and `signal` to stop
 * it early (the partial report is written; the exit code is 130, or 143 when the reason is "SIGTERM").
 */
export interface RunOptions extends Omit<RunFlags, "profile" | "quiet">, RunHooks {
  profile?: string;
  /** Where FAULTLINE_* settings are read from; none are read unless you pass one (e.g. `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/** A finished run. */
export interface RunOutcome {
  /**
   * What `faultline run` would exit with: 0 passed, 1 a check failed (or the gateway went down), 2 nothing
   * was judged (a setup error, with the fix in `result.setup`), 130/143 stopped by `signal`.
   */
  exitCode: HarnessOutcome["exitCode"];
  /** Every property's and check's outcome, each violation with its reproduction; absent if the run never started. */
  result: HarnessOutcome["result"];
  /** What `faultline run` would have printed. */
  output: string;
}

/**
 * Runs the suites against `gateway` (none given: the built-in reference gateway and mock) and writes the
 * report to `report` (default `reports/faultline`), as `faultline run` does.
 */
export async function run(options: RunOptions = {}): Promise<RunOutcome> {
  const { env = {}, profile = "lumenfall", onLine, onCase, onProperty, signal, ...flags } = options;
  const o = await runHarness({ ...flags, profile }, env, { onLine, onCase, onProperty, signal });
  return { exitCode: o.exitCode, result: o.result, output: o.output };
}

/** The flags of `faultline replay`, by their camel-case names. */
export interface ReplayOptions extends ReplayFlags {
  /** Where FAULTLINE_* settings are read from; none are read unless you pass one. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Reruns one case file from a report (no `gateway`: against the built-in one) and judges it by the check it
 * failed: `verdict` FIXED, STILL FAILING or COULD NOT RUN (`exitCode` 0, 1, 2, as `faultline replay`).
 */
export async function replay(caseFile: string, options: ReplayOptions = {}): Promise<ReplayOutcome> {
  const { env = {}, ...flags } = options;
  return replayCase(caseFile, flags, env);
}

/** Starts the mock upstream on a socket: 127.0.0.1, a free port, providers alpha, beta and gamma unless told. */
export { startMock } from "../mocks/server.ts";

export interface ReferenceGatewayOptions extends Omit<GatewayOptions, "profile" | "upstreams"> {
  /** A built-in profile name, a YAML/JSON file, or a loaded profile (default `lumenfall`). */
  profile?: string | Profile;
  /** The providers to route to, in order; or give `mock` and its OpenAI-dialect providers are used. */
  upstreams?: Upstream[];
  mock?: MockServer;
}

/**
 * Starts the reference gateway (a small, correct gateway; `defects` turns on one-defect mutations) in front
 * of `upstreams` or a mock's providers. Its keys and models are GATEWAY_DEFAULTS (`fl-test-key`, `faultline-chat`).
 */
export async function startReferenceGateway(options: ReferenceGatewayOptions): Promise<Gateway> {
  const { profile = "lumenfall", upstreams, mock, ...rest } = options;
  const routed =
    upstreams ??
    [...(mock?.engine.providers.values() ?? [])]
      .filter((p) => p.dialect === "openai")
      .map((p) => ({ name: p.name, baseUrl: mock!.providerUrl(p.name) }));
  if (!routed.length)
    throw new TypeError("startReferenceGateway: give upstreams, or a mock with OpenAI-dialect providers");
  return startGateway({
    ...rest,
    profile: typeof profile === "string" ? loadProfile(profile) : profile,
    upstreams: routed,
  });
}

export { GATEWAY_DEFAULTS } from "../gateway/index.ts";
