import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { CONTROL_PREFIX, type ControlOptions, control } from "./control.ts";
import { json } from "./dialects/types.ts";
import { controlError, DEFAULT_PROVIDERS, type Decision, type EngineOptions, MockEngine } from "./engine.ts";
import { BodyTooLarge, type MockLimits } from "./limits.ts";
import type { ScenarioEvent } from "./scenario.ts";
import { ScenarioHost } from "./scenario-routes.ts";
import type { Scenario } from "./scenario-schema.ts";
import { MockResponse, onRequest, type RequestSink, type WriteSink, write } from "./transport.ts";
import type { MockRequest } from "./types.ts";

export interface MockServerOptions extends Partial<EngineOptions>, ControlOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** A scenario to play from the start; `PUT /_faultline/scenario` can switch it later. */
  scenario?: Scenario;
  /** Told of every scenario phase change and end (the CLI prints them). */
  onScenarioEvent?: (e: ScenarioEvent) => void;
  /**
   * How long an idle keep-alive connection stays open (default 65 s). Longer than the idle timeout of
   * common clients (undici 4 s, Node's agent 5 s at most), so the client closes first and never sends a
   * request on a connection the mock is closing.
   */
  keepAliveTimeoutMs?: number;
}

export interface MockServer {
  engine: MockEngine;
  server: Server;
  url: string;
  /**
   * The base URL one provider's official SDK takes: `…/alpha/v1` for OpenAI (openai-node appends
   * `/chat/completions`), `…/beta` for Anthropic and Gemini (their SDKs append `/v1/messages` and
   * `/v1beta/models/…` themselves).
   */
  providerUrl(name: string): string;
  /** The scenario playing now; also reachable at `/_faultline/scenario`. */
  scenarios: ScenarioHost;
  close(): Promise<void>;
}

/** The body limit a path gets: control calls and scenarios are small; provider bodies may be large. */
function bodyLimit(
  path: string,
  limits: MockLimits,
): [number, "maxRequestBytes" | "maxControlBodyBytes" | "maxScenarioBytes"] {
  if (!path.startsWith(CONTROL_PREFIX)) return [limits.maxRequestBytes, "maxRequestBytes"];
  if (path.startsWith(`${CONTROL_PREFIX}/scenario`)) return [limits.maxScenarioBytes, "maxScenarioBytes"];
  return [limits.maxControlBodyBytes, "maxControlBodyBytes"];
}

/** Starts the mock upstream on a real socket (loopback unless told otherwise). */
export async function startMock(opts: MockServerOptions = {}): Promise<MockServer> {
  const engine = new MockEngine({
    providers: opts.providers ?? DEFAULT_PROVIDERS,
    journal: opts.journal,
    planTtlMs: opts.planTtlMs,
    maxPlans: opts.maxPlans,
    limits: opts.limits,
    secrets: opts.secrets,
  });
  const scenarios = new ScenarioHost(engine, opts.onScenarioEvent);
  const controlOpts: ControlOptions = {
    ...opts,
    extraRoutes: (req, sub, access) => scenarios.routes(req, sub) ?? opts.extraRoutes?.(req, sub, access),
    // A full reset puts the whole mock back to its start: a playing scenario stops too.
    onReset: () => {
      scenarios.stop();
      opts.onReset?.();
    },
  };

  function fail(res: ServerResponse, e: unknown): void {
    if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: { message: `mock failure: ${(e as Error).message}` } }));
  }

  function answerControl(mreq: MockRequest, res: ServerResponse): void {
    control(engine, mreq, controlOpts).then(
      (reply) =>
        write(res, reply ?? controlError(404, `no control route ${mreq.method} ${mreq.path}`), IGNORE, res),
      (e) => fail(res, e),
    );
  }

  /** Closes each provider answer's journal entry with how it ended (the decision is the context). */
  const settled: WriteSink<Decision> = {
    played: (outcome, d) => engine.settle(d.entry, d.reply, outcome),
    failed: (e, d) => fail(d.exchange as ServerResponse, e),
  };
  const IGNORE: WriteSink<ServerResponse> = { played: () => {}, failed: (e, res) => fail(res, e) };

  function settle(res: ServerResponse, decision: Decision): void {
    decision.exchange = res;
    write(res, decision.reply, settled, decision);
  }

  // The hot path is synchronous from the last body byte to the answer's write: no promise, no await.
  function handle(mreq: MockRequest, res: ServerResponse): void {
    try {
      if (mreq.path.startsWith(CONTROL_PREFIX)) {
        answerControl(mreq, res);
        return;
      }
      const decision = engine.decide(mreq);
      if (!decision) {
        const message = `no provider for ${mreq.path}; providers: ${engine.providerNames().join(", ")}`;
        write(res, json(404, { error: { message } }), IGNORE, res);
        return;
      }
      settle(res, decision);
    } catch (e) {
      fail(res, e);
    }
  }

  function tooLarge(mreq: MockRequest, res: ServerResponse, receivedBytes: number): void {
    const [max, limit] = bodyLimit(mreq.path, engine.limits);
    const err = new BodyTooLarge(receivedBytes, max, limit);
    engine.metrics.refused(limit);
    const decision = limit === "maxRequestBytes" ? engine.decideTooLarge(mreq, err.message) : undefined;
    if (decision) settle(res, decision);
    else write(res, controlError(413, err.message), IGNORE, res);
  }

  const sink: RequestSink<ServerResponse> = { done: handle, tooLarge };
  const server = createServer(
    { ServerResponse: MockResponse },
    (req: IncomingMessage, res: ServerResponse) => {
      const url = req.url ?? "/";
      // Provider paths, the common case, skip the comparisons that pick a control call's limit.
      const max = url.startsWith(CONTROL_PREFIX)
        ? bodyLimit(url, engine.limits)[0]
        : engine.limits.maxRequestBytes;
      onRequest(req, max, sink, res);
    },
  );
  server.keepAliveTimeout = opts.keepAliveTimeoutMs ?? 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    // Node's default backlog (511) drops SYNs when a thousand clients connect at once, and each dropped
    // SYN costs that client a 1 s retransmit; the kernel caps this at net.core.somaxconn.
    server.listen({ port: opts.port ?? 0, host: opts.host ?? "127.0.0.1", backlog: 4096 }, () => resolve());
  });
  if (opts.scenario) scenarios.play(opts.scenario);
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  return {
    engine,
    server,
    url,
    scenarios,
    providerUrl(name) {
      const p = engine.providers.get(name);
      if (!p) throw new Error(`no provider "${name}"`);
      return p.dialect === "openai" ? `${url}/${name}/v1` : `${url}/${name}`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        scenarios.stop();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
