import type { FailoverOutcome } from "../failover.ts";
import type { ResolvedOptions } from "../options.ts";
import { defineMutant } from "./define.ts";

/** Upstream work in flight, per gateway (its options), keyed by what the mutant wrongly thinks names a request. */
const inFlight = new WeakMap<ResolvedOptions, Map<string, Promise<FailoverOutcome>>>();

// Why it is plausible: "request coalescing" to save upstream calls, keyed by the model and forgetting the
// messages, so concurrent requests for one model share whichever upstream answer comes first.
export default defineMutant({
  id: "shared_answer",
  family: "upstream",
  expectedCheck: "XTALK-001",
  summary:
    "concurrent JSON requests for one model share one upstream answer (coalescing keyed without the messages)",
  policy: {
    upstreamFor(c, chat, run) {
      // A stream's reader cannot be shared; only JSON answers are coalesced.
      if (chat.stream) return run();
      const byKey = inFlight.get(c.opts) ?? new Map<string, Promise<FailoverOutcome>>();
      inFlight.set(c.opts, byKey);
      const key = chat.model;
      const shared = byKey.get(key);
      if (shared) return shared;
      const mine = run().finally(() => byKey.delete(key));
      byKey.set(key, mine);
      return mine;
    },
  },
});
