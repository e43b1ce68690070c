import { REFERENCE_POLICY as REF } from "../policy.ts";
import { defineMutant } from "./define.ts";

// Why it is plausible: one error handler for every path: the default family's envelope and codes.
export default defineMutant({
  id: "anthropic_openai_shape",
  family: "family",
  expectedCheck: "ENV-001",
  profile: "lemondata",
  summary: "the Anthropic-compatible path answers errors in the OpenAI-compatible envelope",
  policy: {
    familyProfile: (p, family) =>
      family === "anthropic"
        ? { ...p, families: {}, endpoints: REF.familyProfile(p, family).endpoints }
        : REF.familyProfile(p, family),
  },
});
