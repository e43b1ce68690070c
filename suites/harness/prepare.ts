import { UsageError } from "../../core/errors.ts";
import type { Profile } from "../../core/profile/schema.ts";
import { effectiveProfile, type Target } from "../target.ts";
import { renderTarget } from "../templates.ts";
import { MockClient } from "./mock-client.ts";

/** The mock's control API did not answer: a setup problem, reported as one (with a report), not a crash. */
export class MockUnreachable extends UsageError {
  override name = "MockUnreachable";
}

export interface Prepared {
  target: Target;
  profile: Profile;
  mock?: MockClient;
  /** The mock's providers in priority order (empty without a mock). */
  providers: string[];
  /** Each mock provider's dialect. */
  dialects?: Record<string, string>;
}

/**
 * What every entry point (run, replay, the vitest suites) does once the target is resolved: ask the
 * mock who it is, render the target's header templates against it, and apply the target's chat path.
 */
export async function prepareTarget(target: Target, profile: Profile, mockToken?: string): Promise<Prepared> {
  if (!target.mock) {
    const t = renderTarget(target, undefined);
    return { target: t, profile: effectiveProfile(profile, t), providers: [] };
  }
  const mock = new MockClient(target.mock, mockToken);
  const health = await mock.health().catch((e: Error) => {
    throw new MockUnreachable(`--mock ${target.mock}: the mock's control API did not answer (${e.message})`);
  });
  const t = renderTarget(target, {
    url: target.mock,
    providers: health.providers,
    dialects: health.dialects,
  });
  return {
    target: t,
    profile: effectiveProfile(profile, t),
    mock,
    providers: health.providers,
    dialects: health.dialects,
  };
}
