import { REFERENCE_POLICY as REF } from "../policy.ts";
import { defineMutant } from "./define.ts";

// Why it is plausible: a proxy that relays the last provider's answer instead of its own envelope.
export default defineMutant({
  id: "raw_passthrough",
  family: "exhaustion",
  expectedCheck: "EXH-002",
  summary: "exhaustion answered with the last provider's status and raw body",
  policy: {
    answerExhausted(c, chat, failures) {
      const raw = failures.at(-1)?.raw;
      if (!raw) return REF.answerExhausted(c, chat, failures);
      if (c.reply.res.headersSent || c.reply.res.destroyed) return;
      c.reply.res.writeHead(raw.status, {
        "content-type": raw.contentType,
        "x-request-id": c.reply.requestId,
      });
      c.reply.res.end(raw.body);
    },
  },
});
