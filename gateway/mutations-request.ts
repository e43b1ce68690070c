import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Profile } from "../core/profile/schema.ts";
import { Contract } from "./contract.ts";
import type { Mutation } from "./mutations.ts";
import { sendError } from "./respond.ts";

/** One-defect mutations of how the gateway reads a request's optional headers. */
export const REQUEST_MUTATIONS: readonly Mutation[] = [
  {
    id: "accept_required",
    family: "rejection",
    expectedCheck: "SHAPE-001",
    summary:
      "a chat request without exactly `Accept: application/json` is answered 502 as if every provider had failed",
  },
];

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

const applied = new WeakSet<Server>();

/**
 * Puts the request-shape defects in front of a running reference gateway. They act before routing,
 * as a naive content-negotiation layer would, so they wrap the server's request listener rather than
 * touching the pipeline. Idempotent per server.
 */
export function applyRequestMutations(server: Server, profile: Profile, defects: readonly string[]): void {
  if (!defects.includes("accept_required") || applied.has(server)) return;
  applied.add(server);
  const contract = new Contract(profile, new Set());
  const inner = server.listeners("request") as Listener[];
  server.removeAllListeners("request");
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const accept = String(req.headers.accept ?? "")
      .trim()
      .toLowerCase();
    if (req.method === "POST" && accept !== "application/json") {
      // The defect the issue observed: the gateway's upstream call fails on the header it did not get,
      // and it answers exactly as if every provider had failed.
      req.resume();
      sendError(
        { res, contract, requestId: `req_accept_${Date.now().toString(36)}`, retryAfterS: 1 },
        contract.exhausted("All providers failed"),
      );
      return;
    }
    for (const l of inner) l.call(server, req, res);
  });
}
