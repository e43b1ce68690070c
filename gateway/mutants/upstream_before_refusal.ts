import { admitRequest, checkAccount } from "../admit.ts";
import { failover } from "../failover.ts";
import { REFERENCE_POLICY as REF } from "../policy.ts";
import { defineMutant } from "./define.ts";

// Why it is plausible: the account checked after a provider has already done the (billable) work.
export default defineMutant({
  id: "upstream_before_refusal",
  family: "rejection",
  expectedCheck: "BILL-001",
  summary: "a broke or rate-limited key's request is sent to a provider first, then refused",
  policy: {
    async admit(c) {
      const chat = await admitRequest(c);
      try {
        checkAccount(c);
      } catch (e) {
        await failover({
          upstreams: c.opts.upstreams.slice(0, 1),
          dispatcher: c.dispatcher,
          payload: JSON.stringify({ ...chat.body, model: c.opts.upstreamModel, stream: false }),
          stream: false,
          headersFor: (u) => REF.upstreamHeaders(c, false, u),
          stops: [[c.client, "client"]],
          attemptTimeoutMs: c.opts.attemptTimeoutMs,
          policy: REF,
        });
        throw e;
      }
      return chat;
    },
  },
});
