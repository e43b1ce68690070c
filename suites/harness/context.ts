import type { Profile } from "../../core/profile/schema.ts";
import type { RunState } from "../checks/registry.ts";
import type { Target } from "../target.ts";
import type { MockClient } from "./mock-client.ts";

/** Everything a property needs to generate and run its cases. */
export interface RunContext {
  profile: Profile;
  target: Target;
  mock?: MockClient;
  /** The run's seed; each property derives its own from it and its id. */
  seed: number;
  /** Default number of generated cases per property. */
  runs: number;
  /** How long the harness waits for one answer: the deadline plus a grace period. */
  harnessDeadlineMs: number;
  /** The endpoint family being run (`default` when undefined); `profile` is already resolved for it. */
  family?: string;
  /** Shared by every property of a run (runSuites creates it). */
  state?: RunState;
  /** The mock's provider names in the gateway's priority order. */
  providers: string[];
}

export function gatewayDeadline(ctx: Pick<RunContext, "profile" | "target">): number {
  return ctx.target.deadlineMs ?? ctx.profile.deadlineMs;
}
