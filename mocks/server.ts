import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type ControlOptions, control } from "./control.ts";
import { json } from "./dialects/types.ts";
import { DEFAULT_PROVIDERS, type EngineOptions, MockEngine } from "./engine.ts";
import { readRequest, writeReply } from "./transport.ts";

export interface MockServerOptions extends Partial<EngineOptions>, ControlOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
}

export interface MockServer {
  engine: MockEngine;
  server: Server;
  url: string;
  /** Base URL of one provider, e.g. `http://127.0.0.1:4010/alpha/v1`. */
  providerUrl(name: string): string;
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
  const server = createServer(async (req, res) => {
    try {
      const mreq = await readRequest(req);
      const ctl = await control(engine, mreq, opts);
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
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  return {
    engine,
    server,
    url,
    providerUrl(name) {
      const p = engine.providers.get(name);
      if (!p) throw new Error(`no provider "${name}"`);
      return p.dialect === "gemini" ? `${url}/${name}` : `${url}/${name}/v1`;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
