import { defineMutant } from "./define.ts";

// Why it is plausible: no model catalogue: whatever the client names is forwarded.
export default defineMutant({
  id: "unknown_model_200",
  family: "rejection",
  expectedCheck: "REJ-002",
  summary: "unknown models are routed upstream anyway",
  policy: {
    modelRefusal: () => undefined,
  },
});
