import { REFERENCE_POLICY as REF } from "../policy.ts";
import { defineMutant } from "./define.ts";

// Why it is plausible: a suggestion hard-coded to a model nobody serves here.
export default defineMutant({
  id: "did_you_mean_bogus",
  family: "hints",
  expectedCheck: "HINT-002",
  profile: "lemondata",
  summary: "an unknown model's did_you_mean names a model the gateway does not serve",
  policy: {
    modelRefusal(contract, model, served) {
      const refusal = REF.modelRefusal(contract, model, served);
      return refusal && { ...refusal, didYouMean: "gpt-4o" };
    },
  },
});
