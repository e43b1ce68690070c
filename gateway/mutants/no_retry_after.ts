import { defineMutant } from "./define.ts";

// Why it is plausible: the header simply never set.
export default defineMutant({
  id: "no_retry_after",
  family: "retry-after",
  expectedCheck: "RA-001",
  summary: "no answer carries Retry-After (429s, nor 503s where the profile asks for it)",
  policy: {
    wantsRetryAfter: () => false,
  },
});
