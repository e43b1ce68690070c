import { sendJson } from "../respond.ts";
import { defineMutant } from "./define.ts";

// Why it is plausible: an error body sent with the success path's status.
export default defineMutant({
  id: "error_behind_200",
  family: "envelope",
  expectedCheck: "ENV-004",
  summary: "a non-retryable upstream error is answered 200 with an error envelope",
  policy: {
    answerUpstreamError: (c, spec) =>
      sendJson(c.reply, 200, c.reply.contract.render(spec, c.reply.requestId)),
  },
});
