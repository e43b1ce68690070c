import { defineMutant } from "./define.ts";

// Why it is plausible: an auth check that does not tell a missing key from a wrong one.
export default defineMutant({
  id: "missing_key_as_invalid",
  family: "condition",
  expectedCheck: "COND-001",
  profile: "meta-envelope",
  summary: "a missing API key is answered INVALID_API_KEY instead of MISSING_API_KEY",
  policy: {
    conditionFor: (cond) => (cond === "auth.missing" ? "auth.invalid" : cond),
  },
});
