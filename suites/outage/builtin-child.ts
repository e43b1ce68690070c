// The built-in outage target in a process of its own (forked by builtin.ts): the mock and the reference
// gateway get a core of their own instead of sharing the load engine's event loop, as a real deployment would.
import { DEFAULT_PROVIDERS } from "../../mocks/engine.ts";
import type { BreakerConfig } from "../../mocks/gateway/breaker.ts";
import { startOutageGateway } from "../../mocks/gateway/mutations-outage.ts";
import { startMock } from "../../mocks/server.ts";
import type { Profile } from "../profile/schema.ts";

export interface ChildOptions {
  profile: Profile;
  defects: string[];
  breaker?: BreakerConfig;
}

export type ChildMessage = { type: "ready"; gateway: string; mock: string } | { type: "error"; message: string };

const send = (m: ChildMessage) => process.send?.(m);

async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2] ?? "{}") as ChildOptions;
  // A journal big enough for a few seconds of a storm at 500 requests per second between two polls.
  const mock = await startMock({ providers: DEFAULT_PROVIDERS, journal: { maxEntries: 50_000 } });
  const gw = await startOutageGateway({
    profile: o.profile,
    upstreams: DEFAULT_PROVIDERS.map((p) => ({ name: p.name, baseUrl: mock.providerUrl(p.name) })),
    defects: o.defects,
    breaker: o.breaker,
  }).catch(async (e: Error) => {
    await mock.close();
    throw e;
  });
  const stop = async () => {
    await gw.close().catch(() => undefined);
    await mock.close().catch(() => undefined);
    process.exit(0);
  };
  // The parent asks, or goes away: either way the servers close.
  process.on("message", (m) => m === "close" && void stop());
  process.on("disconnect", () => void stop());
  send({ type: "ready", gateway: gw.url, mock: mock.url });
}

main().catch((e: Error) => {
  send({ type: "error", message: e.message });
  process.exit(1);
});
