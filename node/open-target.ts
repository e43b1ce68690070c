// Where a run's target comes from, shared by `run()` (and so the CLI) and the vitest integration: the
// target the flags, FAULTLINE_* variables or a config file name, or else the built-in reference gateway
// and mock, started here and closed by the caller.

import { UsageError } from "../core/errors.ts";
import type { Profile } from "../core/profile/schema.ts";
import { TARGET_KEYS } from "../core/target-keys.ts";
import type { RunContext } from "../suites/harness/context.ts";
import type { Prepared } from "../suites/harness/prepare.ts";
import { resolveTarget, type Target } from "../suites/target.ts";
import { startBuiltin } from "./builtin.ts";

/** The target keys a caller gives (flags, `run()` options), the config file and the `--header` headers. */
export type TargetInput = Parameters<typeof resolveTarget>[0];

/** How long past the gateway's deadline the harness waits for an answer before it calls it a hang. */
export const HARNESS_GRACE_MS = 2_000;

export interface OpenTarget {
  target: Target;
  /** Nothing named a gateway: the target is the built-in reference gateway in front of a built-in mock. */
  builtin: boolean;
  /** Stops the built-in servers, if any were started. */
  close(): Promise<void>;
}

/** An empty URL is an unset CI variable, never "run the built-in gateway". */
export function refuseEmpty(given: TargetInput, env: NodeJS.ProcessEnv): void {
  const hint = "leave it out entirely to run the built-in reference gateway";
  if (given.gateway === "")
    throw new UsageError(
      `--gateway: expected the gateway's URL, saw an empty string (an unset variable?); ${hint}`,
    );
  if (given.gateway === undefined && env.FAULTLINE_GATEWAY === "")
    throw new UsageError(`FAULTLINE_GATEWAY is set but empty: expected the gateway's URL; ${hint}`);
  if (given.mock === "")
    throw new UsageError("--mock: expected the mock's URL, saw an empty string (an unset variable?)");
}

/** Whether nothing names a gateway: no `gateway`, no FAULTLINE_GATEWAY, no config file. */
export function isBuiltin(given: TargetInput, env: NodeJS.ProcessEnv): boolean {
  return (
    given.gateway === undefined &&
    env.FAULTLINE_GATEWAY === undefined &&
    !given.config &&
    !env.FAULTLINE_CONFIG
  );
}

/**
 * Resolves the target, or starts the built-in pair (with `defects`, one-defect mutants of the reference
 * gateway) when nothing names a gateway. In built-in mode the servers' URLs always win, every other key
 * keeps the caller's value where given and takes the built-in fixture's otherwise, and FAULTLINE_* variables
 * are not read: they describe some other gateway.
 */
export async function openTarget(
  given: TargetInput,
  profile: Profile,
  env: NodeJS.ProcessEnv,
  defects: string[] = [],
): Promise<OpenTarget> {
  refuseEmpty(given, env);
  const builtin = isBuiltin(given, env);
  if (!builtin) {
    if (defects.length)
      throw new UsageError(
        "--defect applies to the built-in reference gateway only; drop --gateway to use it",
      );
    return { target: resolveTarget(given, env), builtin, close: async () => {} };
  }
  const setup = await startBuiltin(profile, defects);
  try {
    const keys: TargetInput = { ...given };
    for (const k of TARGET_KEYS) {
      if (k.field === "gateway" || k.field === "mock") keys[k.field] = setup.target[k.field];
      else keys[k.field] ??= setup.target[k.field];
    }
    return { target: resolveTarget(keys, {}), builtin, close: () => setup.close() };
  } catch (e) {
    await setup.close();
    throw e;
  }
}

/** The context every property of a run shares, for a prepared target. */
export function runContext(p: Prepared, seed: number, runs: number): RunContext {
  return {
    profile: p.profile,
    target: p.target,
    mock: p.mock,
    seed,
    runs,
    harnessDeadlineMs: (p.target.deadlineMs ?? p.profile.deadlineMs) + HARNESS_GRACE_MS,
    providers: p.providers,
  };
}
