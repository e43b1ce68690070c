import type { IncomingMessage, ServerResponse } from "node:http";
import { Contract } from "../contract.ts";
import { REFERENCE_POLICY as REF } from "../policy.ts";
import { sendError } from "../respond.ts";
import { defineMutant } from "./define.ts";

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

// Why it is plausible: a naive content-negotiation layer in front of the routes; its upstream call fails on the header it did not get.
export default defineMutant({
  id: "accept_required",
  family: "rejection",
  expectedCheck: "SHAPE-001",
  summary:
    "a chat request without exactly `Accept: application/json` is answered 502 as if every provider had failed",
  policy: {
    wrapServer(server, o) {
      const contract = new Contract(o.profile, REF);
      const inner = server.listeners("request") as Listener[];
      server.removeAllListeners("request");
      server.on("request", (req: IncomingMessage, res: ServerResponse) => {
        const accept = String(req.headers.accept ?? "")
          .trim()
          .toLowerCase();
        if (req.method === "POST" && accept !== "application/json") {
          req.resume();
          const reply = { res, contract, requestId: `req_accept_${Date.now().toString(36)}`, retryAfterS: 1 };
          sendError(reply, contract.exhausted("All providers failed"));
          return;
        }
        for (const l of inner) l.call(server, req, res);
      });
    },
  },
});
