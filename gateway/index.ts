// The reference gateway: a small, correct gateway that keeps a profile's error contract in front of
// the mock's providers, and its one-defect mutations that prove each check can fail.

// Mutations
/** The defect registry: id, summary, family, the check that must catch it and the policy member it bends. */
export {
  assertDefects,
  CORE_MUTATIONS,
  isOutageMutation,
  MUTANTS,
  MUTATIONS,
  type Mutant,
  type Mutation,
  mutation,
  mutationIds,
  OUTAGE_MUTATIONS,
  outageMutationIds,
} from "./mutants/index.ts";
/** Fixture keys, models and timeouts shared by the gateway, its CLI and tests. */
export { GATEWAY_DEFAULTS, type GatewayOptions, type Upstream } from "./options.ts";
// Running it
/** Starts the gateway; `await startGateway({profile: loadProfile("lumenfall"), upstreams})`. */
export { type Gateway, startGateway } from "./server.ts";
