import { REFERENCE_POLICY as REF } from "../policy.ts";
import { defineMutant } from "./define.ts";

// Why it is plausible: an unknown model lumped in with every other bad parameter.
export default defineMutant({
  id: "unknown_model_as_invalid",
  family: "condition",
  expectedCheck: "COND-001",
  summary: "model.unknown is answered with the request.invalid code",
  policy: {
    modelRefusal(contract, model, served) {
      const refusal = REF.modelRefusal(contract, model, served);
      if (!refusal) return undefined;
      const { param, didYouMean } = refusal;
      return contract.condition("request.invalid", refusal.message, { param, didYouMean });
    },
  },
});
