import { defineMutant } from "./define.ts";

// Why it is plausible: keys stored without the client they belong to.
export default defineMutant({
  id: "idem_global_keys",
  family: "idempotency",
  expectedCheck: "IDEM-004",
  profile: "data-envelope",
  summary: "Idempotency-Keys are global: another client's request replays the first client's answer",
  policy: {
    idempotencyScope: (_scope, key) => key,
  },
});
