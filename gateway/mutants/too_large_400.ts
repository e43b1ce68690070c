import { defineMutant } from "./define.ts";

// Why it is plausible: an oversized body lumped in with every other bad request.
export default defineMutant({
  id: "too_large_400",
  family: "condition",
  expectedCheck: "COND-001",
  profile: "llmapi",
  summary: "a body over the limit is answered as an invalid request (400) instead of 413",
  policy: {
    conditionFor: (cond) => (cond === "request.too_large" ? "request.invalid" : cond),
  },
});
