import { parseIdempotencyKey } from "../idempotency-key.ts";
import { defineMutant } from "./define.ts";

// Why it is plausible: the header's raw text used as the key.
export default defineMutant({
  id: "idem_quoted_differs",
  family: "idempotency",
  expectedCheck: "IDEM-005",
  profile: "data-envelope",
  summary: 'the quoted sf-string form ("abc") and the bare form (abc) are treated as different keys',
  policy: {
    idempotencyKey: (raw) => parseIdempotencyKey(raw, true),
  },
});
