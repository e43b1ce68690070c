import { defineMutant } from "./define.ts";

// Why it is plausible: an HTTP client with no timeouts configured.
export default defineMutant({
  id: "no_deadline",
  family: "deadline",
  expectedCheck: "DL-001",
  summary: "no attempt timeout or deadline: a hung provider is waited on until the client gives up",
  policy: {
    timeLimits: () => ({ streamUntilDeadline: true }),
  },
});
