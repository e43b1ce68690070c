// One half of the built-in outage target in a process of its own (forked by builtin.ts): the mock, or the
// reference gateway in front of it. Each gets its own event loop, and on two cores its own core, instead of
// sharing the load engine's, as a real deployment would.
import { Server } from "node:net";
import type { Profile } from "../core/profile/schema.ts";
import type { BreakerConfig } from "../gateway/breaker.ts";
import { startGateway } from "../gateway/index.ts";
import { DEFAULT_PROVIDERS } from "../mocks/engine.ts";
import { startMock } from "../mocks/server.ts";

export type ChildOptions =
  | { role: "mock" }
  | { role: "gateway"; profile: Profile; mock: string; defects: string[]; breaker?: BreakerConfig };

export type ChildMessage = { type: "ready"; url: string } | { type: "error"; message: string };

const send = (m: ChildMessage) => process.send?.(m);

/** Connections a listening server may hold before accepting them: the mock's own setting (mocks/server.ts). */
const BACKLOG = 4_096;

/**
 * The reference gateway listens with Node's default backlog (511). Under an open loop of hundreds of new
 * connections per second on a busy machine that queue overflows, the kernel drops SYNs, and clients retry
 * after 1, 3, 7 s — delays that would be blamed on the gateway. This process only ever runs that one
 * server, so its listen gets the mock's backlog.
 */
function withBacklog(): void {
  const listen = Server.prototype.listen;
  Server.prototype.listen = function (this: Server, ...args: unknown[]) {
    const [port, host, done] = args;
    if (
      args.length === 3 &&
      typeof port === "number" &&
      typeof host === "string" &&
      typeof done === "function"
    )
      return listen.call(this, { port, host, backlog: BACKLOG }, done as () => void);
    return (listen as (...a: unknown[]) => Server).apply(this, args);
  } as typeof listen;
}

async function start(o: ChildOptions): Promise<{ url: string; close(): Promise<void> }> {
  if (o.role === "mock")
    // A journal big enough for a few seconds of a storm at 500 requests per second between two polls.
    return startMock({ providers: DEFAULT_PROVIDERS, journal: { maxEntries: 50_000 } });
  withBacklog();
  return startGateway({
    profile: o.profile,
    upstreams: DEFAULT_PROVIDERS.map((p) => ({ name: p.name, baseUrl: `${o.mock}/${p.name}/v1` })),
    defects: o.defects,
    breaker: o.breaker,
  });
}

async function main(): Promise<void> {
  const server = await start(JSON.parse(process.argv[2] ?? "{}") as ChildOptions);
  const stop = async () => {
    await server.close().catch(() => undefined);
    process.exit(0);
  };
  // The parent asks, or goes away: either way the server closes.
  process.on("message", (m) => m === "close" && void stop());
  process.on("disconnect", () => void stop());
  // Ctrl-C reaches the whole process group, this process too; the parent, which got it as well, still needs
  // the mock's journal for its partial report and closes this process when done. Alone, a signal ends it.
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.on(signal, () => {
      if (!process.connected) void stop();
    });
  send({ type: "ready", url: server.url });
}

main().catch((e: Error) => {
  send({ type: "error", message: e.message });
  process.exit(1);
});
