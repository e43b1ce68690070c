import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent } from "undici";
import { UsageError } from "../../suites/errors.ts";
import { authenticate } from "./auth.ts";
import { handleChat } from "./chat.ts";
import { Contract, GatewayError } from "./contract.ts";
import { assertDefects } from "./mutations.ts";
import { type GatewayOptions, type ResolvedOptions, resolveOptions } from "./options.ts";
import { type Responder, sendError, sendJson } from "./respond.ts";

export interface Gateway {
  url: string;
  server: Server;
  close(): Promise<void>;
}

type Op = "chat" | "models";

/** Finds the endpoint for a path: its op, or the methods it allows when the method is wrong. */
function route(opts: ResolvedOptions, method: string, path: string): Op | { allow: string[] } | undefined {
  const eps = Object.entries(opts.profile.endpoints).filter(([, e]) => e && e.path === path);
  if (eps.length === 0) return undefined;
  const hit = eps.find(([, e]) => e!.method === method);
  return hit ? (hit[0] as Op) : { allow: eps.map(([, e]) => e!.method) };
}

function listModels(r: Responder, opts: ResolvedOptions): void {
  const data = opts.models.map((id) => ({
    id,
    object: "model",
    created: 1_700_000_000,
    owned_by: "faultline",
  }));
  sendJson(r, 200, { object: "list", data });
}

/** Starts the reference gateway: the lumenfall contract (or any profile's) in front of OpenAI-dialect upstreams. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const opts = resolveOptions(options);
  assertDefects(opts.defects);
  if (opts.upstreams.length === 0)
    throw new UsageError("upstreams: expected at least one upstream, saw none");
  const defects: ReadonlySet<string> = new Set(opts.defects);
  const contract = new Contract(opts.profile, defects);
  const validKeys = new Set([...opts.apiKeys, opts.brokeKey, opts.limitedKey]);
  // Shorter keep-alive than the mock's 5 s, so the gateway never reuses a socket the server is closing.
  const dispatcher = new Agent({ keepAliveTimeout: 2_000, connect: { timeout: opts.attemptTimeoutMs } });
  const inflight = new Set<AbortController>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply: Responder = {
      res,
      contract,
      requestId: `req_${randomBytes(12).toString("hex")}`,
      retryAfterS: opts.retryAfterS,
    };
    const client = new AbortController();
    inflight.add(client);
    res.on("close", () => {
      client.abort();
      inflight.delete(client);
    });
    try {
      const method = req.method ?? "GET";
      const path = new URL(req.url ?? "/", "http://gateway").pathname;
      const op = route(opts, method, path);
      if (op === undefined) {
        if (defects.has("route_plaintext")) {
          res
            .writeHead(404, { "content-type": "text/plain", "x-request-id": reply.requestId })
            .end("Not Found");
          return;
        }
        throw new GatewayError(contract.condition("route.unknown", `Unknown route ${method} ${path}`));
      }
      if (typeof op === "object") {
        const allow = op.allow.join(", ");
        const message = `Method ${method} is not allowed on ${path}; use ${allow}`;
        throw new GatewayError(contract.condition("method.unsupported", message, { headers: { allow } }));
      }
      const auth = authenticate(req.headers, opts.profile.auth, validKeys, defects.has("auth_ignored"));
      if (!auth.ok) throw new GatewayError(contract.condition(auth.condition, auth.message));
      if (op === "models") return listModels(reply, opts);
      await handleChat({ req, reply, opts, defects, dispatcher, key: auth.key, client: client.signal });
    } catch (e) {
      if (e instanceof GatewayError) sendError(reply, e.spec);
      else if (!client.signal.aborted) {
        sendError(reply, { code: "INTERNAL_ERROR", status: 500, message: "The gateway failed unexpectedly" });
      }
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    server,
    async close() {
      for (const c of inflight) c.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dispatcher.destroy();
    },
  };
}
