import { defineMutant } from "./define.ts";

// Why it is plausible: a store that keeps only status and body.
export default defineMutant({
  id: "idem_replay_content_type",
  family: "idempotency",
  expectedCheck: "IDEM-001",
  profile: "data-envelope",
  summary:
    "a replayed answer keeps its status and body but loses its content type (the store keeps only those two)",
  policy: {
    replayHeaders: ({ "content-type": _type, ...rest }) => rest,
  },
});
