import type { Mutation } from "./mutations.ts";

/** One-defect mutations of the stateful features: idempotent replay, async tasks. */
export const STATEFUL_MUTATIONS: readonly Mutation[] = [];
