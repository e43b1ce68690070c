import { REFERENCE_POLICY as REF } from "../policy.ts";
import { defineMutant } from "./define.ts";

// Why it is plausible: one error handler for every path: the default family's envelope and codes.
export default defineMutant({
  id: "gemini_openai_shape",
  family: "family",
  expectedCheck: "ENV-001",
  profile: "llmapi",
  summary: "the Gemini-compatible path answers errors in the default family's envelope, not Google's",
  policy: {
    familyProfile: (p, family) =>
      family === "gemini"
        ? { ...p, families: {}, endpoints: REF.familyProfile(p, family).endpoints }
        : REF.familyProfile(p, family),
  },
});
