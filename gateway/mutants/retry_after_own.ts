import { defineMutant } from "./define.ts";

// Why it is plausible: a constant wait, whatever the providers asked for.
export default defineMutant({
  id: "retry_after_own",
  family: "retry-after",
  expectedCheck: "RA-004",
  profile: "meta-envelope",
  summary:
    "when every provider is rate-limited, the 503 carries the gateway's own Retry-After: 1, not the providers' wait",
  policy: {
    exhaustedRetryAfterS: () => undefined,
  },
});
