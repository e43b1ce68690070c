import type { Mutation } from "./mutations.ts";

/** One-defect mutations of the profile features: families, hints, request ids, field codes, required fields. */
export const PROFILE_MUTATIONS: readonly Mutation[] = [];
