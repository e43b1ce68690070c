import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { UsageError } from "../core/errors.ts";
import { authenticate } from "./auth.ts";
import { handleChat } from "./chat.ts";
import { ConcurrencyGate } from "./concurrency.ts";
import { familyContracts } from "./contract.ts";
import { GatewayError } from "./error-spec.ts";
import { codecFor } from "./families/index.ts";
import { abortQuietly } from "./guard.ts";
import { IdempotencyLayer } from "./idempotency.ts";
import { assertDefects, policyFor } from "./mutants/index.ts";
import { type GatewayOptions, resolveOptions } from "./options.ts";
import { type Responder, sendError, sendJson } from "./respond.ts";
import { compileRoutes, matchRoute } from "./routes.ts";
import { TaskService } from "./tasks.ts";
import { UpstreamPool } from "./upstream-pool.ts";

export interface Gateway {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Starts the reference gateway: the lumenfall contract (or any profile's) in front of OpenAI-dialect upstreams. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const opts = resolveOptions(options);
  assertDefects(opts.defects);
  if (opts.upstreams.length === 0)
    throw new UsageError("upstreams: expected at least one upstream, saw none");
  // The decisions a one-defect mutant bends: the reference ones unless `defects` names a mutant.
  const policy = policyFor(opts.defects);
  // One contract per endpoint family (OpenAI-, Anthropic-, Gemini-compatible paths), each in its own envelope.
  const contracts = familyContracts(opts.profile, policy);
  const contract = contracts.get("default")!;
  const routes = compileRoutes(opts.profile);
  const gate = new ConcurrencyGate(new Map([[opts.concurrencyKey, opts.concurrencyLimit]]));
  const nextRequestId = policy.requestIds();
  const validKeys = new Set([
    ...opts.apiKeys,
    opts.brokeKey,
    opts.limitedKey,
    opts.otherApiKey,
    opts.concurrencyKey,
  ]);
  // Shorter keep-alive than the mock's 5 s, so the gateway never reuses a socket the server is closing.
  const dispatcher = new UpstreamPool({
    keepAliveTimeout: 2_000,
    connect: { timeout: opts.attemptTimeoutMs },
  });
  const inflight = new Set<AbortController>();
  // [stateful] Idempotent replay (idempotency.ts) and async tasks (tasks.ts), where the profile declares them.
  const accepts = (key: string) => policy.acceptsKey(key, validKeys);
  const authOf = (h: IncomingHttpHeaders) => authenticate(h, opts.profile.auth, accepts);
  const idem = opts.profile.idempotency && new IdempotencyLayer(opts.profile.idempotency, policy);
  const tasks =
    opts.profile.tasks &&
    new TaskService(opts.profile.tasks, {
      opts,
      policy,
      dispatcher,
      authenticate: authOf,
      idempotency: idem,
    });
  const maxBodyBytes = opts.profile.limits.maxBodyBytes ?? opts.maxBodyBytes;
  const breakers = policy.breakers(opts.breaker);
  // [/stateful]
  // What a crash looks like in process: the listening socket and every connection go away at once.
  const crash =
    opts.onCrash ??
    (() => {
      server.close();
      server.closeAllConnections();
    });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply: Responder = {
      res,
      contract,
      requestId: nextRequestId(),
      retryAfterS: opts.retryAfterS,
    };
    const client = new AbortController();
    inflight.add(client);
    res.on("close", () => {
      inflight.delete(client);
      // Only a client that left before its answer was complete is gone; every answer ends with a close.
      if (!res.writableFinished) abortQuietly(client);
    });
    try {
      const method = req.method ?? "GET";
      const path = new URL(req.url ?? "/", "http://gateway").pathname;
      if (tasks && (await tasks.handle(req, res, reply.requestId))) return; // [stateful]
      const hit = matchRoute(routes, method, path);
      if (hit === undefined) {
        policy.unknownRoute(reply, method, path);
        return;
      }
      reply.contract = contracts.get(hit.family)!;
      if ("allow" in hit) {
        const allow = hit.allow.join(", ");
        const message = `Method ${method} is not allowed on ${path}; use ${allow}`;
        throw new GatewayError(
          reply.contract.condition("method.unsupported", message, { headers: { allow } }),
        );
      }
      const codec = codecFor(reply.contract.profile.endpoints.chat.dialect);
      const auth = authenticate(req.headers, opts.profile.auth, accepts, codec.altAuth);
      if (!auth.ok) throw new GatewayError(reply.contract.condition(auth.condition, auth.message));
      if (hit.op === "models") return sendJson(reply, 200, codec.models(opts.models));
      const route = { model: hit.params.model, stream: hit.stream };
      const chat = (r: IncomingMessage) =>
        handleChat({
          req: r,
          reply,
          opts,
          dispatcher,
          key: auth.key,
          client: client.signal,
          codec,
          route,
          gate,
          breakers,
          crash,
          policy,
        });
      // [stateful] a request with an Idempotency-Key runs at most once per client and key
      if (idem && policy.honoursIdempotency("chat"))
        await idem.run({ req, reply, credential: auth.key, maxBodyBytes }, chat);
      else await chat(req);
    } catch (e) {
      if (e instanceof GatewayError) sendError(reply, policy.errorSpec(e));
      else if (!client.signal.aborted) {
        sendError(reply, { code: "INTERNAL_ERROR", status: 500, message: "The gateway failed unexpectedly" });
      }
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  policy.wrapServer(server, opts);
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
      for (const c of inflight) abortQuietly(c);
      tasks?.close(); // [stateful]
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dispatcher.destroy();
    },
  };
}
