import { defineMutant } from "./define.ts";

// Why it is plausible: a key check that only looks at the header's shape.
export default defineMutant({
  id: "auth_ignored",
  family: "rejection",
  expectedCheck: "REJ-001",
  summary: "well-formed unknown keys are accepted",
  policy: {
    acceptsKey: () => true,
  },
});
