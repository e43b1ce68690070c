import { defineMutant } from "./define.ts";

// Why it is plausible: field-level codes documented but never wired up.
export default defineMutant({
  id: "field_generic",
  family: "field",
  expectedCheck: "FIELD-001",
  profile: "meta-envelope",
  summary: "a broken temperature or max_tokens is answered with the generic code and no details.field",
  policy: {
    invalidRequest: (contract, v) => contract.condition("request.invalid", v.message),
  },
});
