import { afterLeaving, CLOSE_WITHIN_MS, nameOf, ON_THE_WIRE_MS } from "../disconnect-rule.ts";
import { defineCheck } from "./registry.ts";

// §22: once the client has gone, its upstream work stops. The client-disconnect property (suites/disconnect.ts)
// hangs up at a chosen point and watches the journal; this check reads what it saw.

defineCheck({
  id: "DISC-001",
  level: "should",
  title: "A client's disconnect reaches the providers",
  sentence: `When the client goes away, the gateway closes its upstream attempt within ${CLOSE_WITHIN_MS / 1000} s and starts no new one.`,
  source: "docs/contract.md §22 A client's disconnect is propagated",
  fix: "Tie every upstream request to the client's connection (an AbortSignal fired on the request's 'close'), and check it before each failover step, retry and Retry-After wait: a client that has left gets no new attempt.",
  // Judged only when the journal can tell: an attempt was in flight when the client left and did not simply
  // finish within the time, or a new one began. Otherwise the case says nothing (the answer was complete first).
  applies: (j) =>
    !!j.case.clientAbort &&
    !!j.exchange.clientLeft &&
    !!j.exchange.journal?.length &&
    afterLeaving(j.exchange.journal, j.exchange.clientLeft).conclusive,
  judge({ exchange: ex, case: c }) {
    const left = ex.clientLeft!;
    const seen = afterLeaving(ex.journal!, left);
    const point = c.clientAbort!.at.replace(/_/g, " ");
    if (seen.late.length) {
      const attempts = seen.late.map((l) => `${nameOf(l.entry)} ${l.afterMs} ms after`).join(", ");
      return {
        expected: `no upstream attempt begun more than ${ON_THE_WIRE_MS} ms after the client hung up (${point})`,
        received: `the gateway started ${attempts} the client left`,
      };
    }
    if (seen.slow.length) {
      const attempts = seen.slow
        .map((l) =>
          l.how === "open"
            ? `${nameOf(l.entry)} still open ${left.watchedUntil - left.at} ms after`
            : `${nameOf(l.entry)} ${l.how === "closed" ? "closed" : "finished by the provider"} ${l.afterMs} ms after`,
        )
        .join(", ");
      return {
        expected: `every upstream attempt closed within ${CLOSE_WITHIN_MS} ms of the client hanging up (${point})`,
        received: `${attempts} the client left`,
      };
    }
    return undefined;
  },
});
