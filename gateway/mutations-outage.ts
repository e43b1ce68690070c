import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { Agent, request } from "undici";
import { UsageError } from "../core/errors.ts";
import { type BreakerConfig, CircuitBreakers } from "./breaker.ts";
import type { GatewayOptions, Upstream } from "./options.ts";
import { type Gateway, startGateway } from "./server.ts";

/**
 * One-defect gateways that only an outage run catches: each is the reference gateway with one behaviour
 * changed in its upstream client or its answers, and each is visible only under traffic over time
 * (`faultline outage`, test/outage-mutants.test.ts). They are not in the `faultline run` mutation catalogue:
 * one case at a time never builds a storm, and recovery needs an outage that ends.
 */
export interface OutageMutation {
  id: string;
  summary: string;
  /** The outage-level check (suites/checks/recovery.ts) that must catch it. */
  expectedCheck: string;
  /** The profile the mutant is shown with, when the default (lumenfall) cannot show it. */
  profile?: string;
}

export const OUTAGE_MUTATIONS: readonly OutageMutation[] = [
  {
    id: "retry_storm",
    expectedCheck: "AMP-001",
    summary:
      "after a provider's 429 or 503, the gateway asks the same provider again at once, up to 5 times, ignoring its Retry-After",
  },
  {
    id: "breaker_never_closes",
    expectedCheck: "REC-001",
    summary:
      "a provider's circuit breaker opens after 5 consecutive failures and never half-opens: the provider stays disabled for good",
  },
  {
    id: "storm_drops_retry_after",
    expectedCheck: "RA-004",
    profile: "meta-envelope",
    summary:
      "under a storm (from the 5th 429/503 answer in a row until the next 2xx) the gateway's 429/503 answers lose their Retry-After",
  },
];

export const RETRY_STORM_ATTEMPTS = 5;
/** 429/503 answers in a row after which the mutant considers itself under a storm. */
export const STORM_AFTER = 5;
/** The broken breaker's settings: the reference breaker's defaults. */
const NEVER_CLOSING: BreakerConfig = { failureThreshold: 5, openMs: 5_000 };

export function outageMutationIds(): string[] {
  return OUTAGE_MUTATIONS.map((m) => m.id);
}

export function isOutageMutation(id: string): boolean {
  return OUTAGE_MUTATIONS.some((m) => m.id === id);
}

/** The defect: once open, the breaker stays open; `open` is the seam breaker.ts leaves for variants. */
class NeverClosingBreakers extends CircuitBreakers {
  protected override open(s: { openUntil?: number }): void {
    s.openUntil = Number.POSITIVE_INFINITY;
  }
}

const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

/**
 * The gateway's upstream client, as a relay in front of the real providers: the retry storm and the broken
 * breaker live here, so the reference pipeline stays untouched. The gateway calls `<relay>/<provider>/…`.
 */
async function startRelay(
  upstreams: Upstream[],
  defects: Set<string>,
): Promise<{ url: string; close(): Promise<void> }> {
  const targets = new Map(upstreams.map((u) => [u.name, u.baseUrl]));
  const agent = new Agent({ connections: null, keepAliveTimeout: 2_000 });
  const breakers = defects.has("breaker_never_closes") ? new NeverClosingBreakers(NEVER_CLOSING) : undefined;
  const tries = defects.has("retry_storm") ? RETRY_STORM_ATTEMPTS : 1;

  async function forward(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const [, name = "", ...rest] = (req.url ?? "/").split("/");
    const base = targets.get(name);
    if (!base) {
      res.writeHead(404).end();
      return;
    }
    if (breakers && !breakers.allow(name)) {
      res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: `circuit open for ${name}`, type: "server_error" } }));
      return;
    }
    const gone = new AbortController();
    res.on("close", () => gone.abort());
    const headers = { ...req.headers };
    // Hop-by-hop headers are the relay's own business (undici refuses them).
    for (const h of ["host", "content-length", "connection", "keep-alive", "transfer-encoding", "upgrade"])
      delete headers[h];
    for (let i = 1; ; i++) {
      try {
        const up = await request(`${base}/${rest.join("/")}`, {
          method: (req.method ?? "POST") as "POST",
          headers: headers as Record<string, string>,
          body,
          dispatcher: agent,
          signal: gone.signal,
        });
        const text = Buffer.from(await up.body.arrayBuffer());
        if (i < tries && (up.statusCode === 429 || up.statusCode === 503)) continue; // the storm
        breakers?.record(name, retryable(up.statusCode) ? "failure" : "success");
        const out: OutgoingHttpHeaders = {};
        for (const [k, v] of Object.entries(up.headers))
          if (v !== undefined && !["connection", "transfer-encoding", "keep-alive"].includes(k)) out[k] = v;
        out["content-length"] = String(text.length);
        res.writeHead(up.statusCode, out).end(text);
        return;
      } catch {
        breakers?.record(name, gone.signal.aborted ? "abandoned" : "failure");
        res.destroy();
        return;
      }
    }
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => void forward(req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await agent.destroy();
    },
  };
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** Strips Retry-After from 429/503 answers once they come in a storm: STORM_AFTER in a row, until a 2xx. */
function dropRetryAfterUnderStorm(server: Server): void {
  let inARow = 0;
  const inner = server.listeners("request") as Listener[];
  server.removeAllListeners("request");
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const writeHead = res.writeHead.bind(res) as (...a: unknown[]) => ServerResponse;
    res.writeHead = ((status: number, ...rest: unknown[]) => {
      if (status >= 200 && status < 300) inARow = 0;
      if ((status === 429 || status === 503) && ++inARow >= STORM_AFTER) {
        // The defect: the load-shedding path builds its answer without the header.
        res.removeHeader("retry-after");
        for (const h of rest)
          if (h && typeof h === "object" && !Array.isArray(h))
            delete (h as Record<string, unknown>)["retry-after"];
      }
      return writeHead(status, ...rest);
    }) as ServerResponse["writeHead"];
    for (const l of inner) l.call(server, req, res);
  });
}

/**
 * Starts the reference gateway with the outage defects among `defects` switched on (the others go to the
 * reference gateway as usual). Unknown ids are refused by the reference gateway, listing the valid ones.
 */
export async function startOutageGateway(options: GatewayOptions): Promise<Gateway> {
  const mine = new Set((options.defects ?? []).filter(isOutageMutation));
  const theirs = (options.defects ?? []).filter((d) => !mine.has(d));
  if (mine.has("breaker_never_closes") && options.breaker)
    throw new UsageError("--defect breaker_never_closes brings its own breaker; drop --breaker-threshold");
  const relay =
    mine.has("retry_storm") || mine.has("breaker_never_closes")
      ? await startRelay(options.upstreams, mine)
      : undefined;
  try {
    const gateway = await startGateway({
      ...options,
      defects: theirs,
      upstreams: relay
        ? options.upstreams.map((u) => ({ name: u.name, baseUrl: `${relay.url}/${u.name}` }))
        : options.upstreams,
    });
    if (mine.has("storm_drops_retry_after")) dropRetryAfterUnderStorm(gateway.server);
    return {
      ...gateway,
      async close() {
        await gateway.close();
        await relay?.close();
      },
    };
  } catch (e) {
    await relay?.close();
    throw e;
  }
}
