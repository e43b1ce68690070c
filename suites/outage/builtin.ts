import { DEFAULT_PROVIDERS } from "../../mocks/engine.ts";
import type { BreakerConfig } from "../../mocks/gateway/breaker.ts";
import { startOutageGateway } from "../../mocks/gateway/mutations-outage.ts";
import { GATEWAY_DEFAULTS } from "../../mocks/gateway/options.ts";
import { startMock } from "../../mocks/server.ts";
import type { Profile } from "../profile/schema.ts";
import type { Target } from "../target.ts";

/**
 * The built-in outage target: the mock and the reference gateway in this process, with the gateway's own
 * default timeouts (2 s per attempt, 10 s per request) rather than `faultline run`'s short ones, so a
 * brownout looks to it as it would to a production gateway.
 */
export interface OutageBuiltin {
  target: Target & { mock: string };
  close(): Promise<void>;
}

export async function startOutageBuiltin(
  profile: Profile,
  o: { defects?: string[]; breaker?: BreakerConfig } = {},
): Promise<OutageBuiltin> {
  // A journal big enough for a few seconds of a storm at 500 requests per second between two polls.
  const mock = await startMock({ providers: DEFAULT_PROVIDERS, journal: { maxEntries: 50_000 } });
  try {
    const gw = await startOutageGateway({
      profile,
      upstreams: DEFAULT_PROVIDERS.map((p) => ({ name: p.name, baseUrl: mock.providerUrl(p.name) })),
      defects: o.defects ?? [],
      breaker: o.breaker,
    });
    return {
      target: {
        gateway: gw.url,
        mock: mock.url,
        apiKey: GATEWAY_DEFAULTS.apiKeys[0]!,
        model: GATEWAY_DEFAULTS.models[0]!,
        deadlineMs: GATEWAY_DEFAULTS.deadlineMs,
        headers: {},
      },
      async close() {
        await gw.close();
        await mock.close();
      },
    };
  } catch (e) {
    await mock.close();
    throw e;
  }
}
