import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type ControlOptions, control } from "./control.ts";
import { json } from "./dialects/types.ts";
import { DEFAULT_PROVIDERS, type EngineOptions, MockEngine } from "./engine.ts";
import type { ScenarioEvent } from "./scenario.ts";
import { ScenarioHost } from "./scenario-routes.ts";
import type { Scenario } from "./scenario-schema.ts";
import { readRequest, writeReply } from "./transport.ts";

export interface MockServerOptions extends Partial<EngineOptions>, ControlOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** A scenario to play from the start; `PUT /_faultline/scenario` can switch it later. */
  scenario?: Scenario;
  /** Told of every scenario phase change and end (the CLI prints them). */
  onScenarioEvent?: (e: ScenarioEvent) => void;
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

/** Starts the mock upstream on a real socket (loopback unless told otherwise). */
export async function startMock(opts: MockServerOptions = {}): Promise<MockServer> {
  const engine = new MockEngine({
    providers: opts.providers ?? DEFAULT_PROVIDERS,
    journal: opts.journal,
    planTtlMs: opts.planTtlMs,
    maxPlans: opts.maxPlans,
  });
  const scenarios = new ScenarioHost(engine, opts.onScenarioEvent);
  const controlOpts: ControlOptions = {
    ...opts,
    extraRoutes: (req, sub) => scenarios.routes(req, sub) ?? opts.extraRoutes?.(req, sub),
  };
  const server = createServer(async (req, res) => {
    try {
      const mreq = await readRequest(req);
      const ctl = mreq.path.startsWith("/_faultline") ? await control(engine, mreq, controlOpts) : undefined;
      // A reset puts the whole mock back to its start: a playing scenario stops too.
      if (ctl && ctl.status === 200 && mreq.method === "POST" && mreq.path === "/_faultline/reset")
        scenarios.stop();
      if (ctl) {
        await writeReply(res, ctl);
        return;
      }
      const decision = engine.decide(mreq);
      if (!decision) {
        await writeReply(
          res,
          json(404, {
            error: {
              message: `no provider for ${mreq.path}; providers: ${engine.providerNames().join(", ")}`,
            },
          }),
        );
        return;
      }
      const outcome = await writeReply(res, decision.reply);
      decision.entry.answeredAt = Date.now();
      decision.entry.outcome = outcome;
      decision.entry.status = decision.reply.fault ? undefined : decision.reply.status;
    } catch (e) {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: `mock failure: ${(e as Error).message}` } }));
    }
  });
  server.keepAliveTimeout = 5_000;
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
