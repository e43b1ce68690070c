import { DEFAULT_PROVIDERS } from "../../mocks/engine.ts";
import { GATEWAY_DEFAULTS, startGateway } from "../../mocks/gateway/index.ts";
import { applyRequestMutations } from "../../mocks/gateway/mutations-request.ts";
import { startMock } from "../../mocks/server.ts";
import type { Profile } from "../profile/schema.ts";
import type { Target } from "../target.ts";

/** The built-in reference gateway's attempt timeout and deadline: short, so runs stay fast. */
export const BUILTIN = { attemptTimeoutMs: 250, deadlineMs: 3_000 } as const;

export interface BuiltinSetup {
  target: Target;
  close(): Promise<void>;
}

/** Starts the mock and the reference gateway in front of it, and the target that points at them. */
export async function startBuiltin(profile: Profile, defects: string[] = []): Promise<BuiltinSetup> {
  const mock = await startMock({ providers: DEFAULT_PROVIDERS });
  try {
    const gw = await startGateway({
      profile,
      upstreams: DEFAULT_PROVIDERS.map((p) => ({ name: p.name, baseUrl: mock.providerUrl(p.name) })),
      attemptTimeoutMs: BUILTIN.attemptTimeoutMs,
      deadlineMs: BUILTIN.deadlineMs,
      defects,
    });
    applyRequestMutations(gw.server, profile, defects);
    return {
      target: {
        gateway: gw.url,
        mock: mock.url,
        apiKey: GATEWAY_DEFAULTS.apiKeys[0]!,
        model: GATEWAY_DEFAULTS.models[0]!,
        brokeKey: GATEWAY_DEFAULTS.brokeKey,
        limitedKey: GATEWAY_DEFAULTS.limitedKey,
        otherApiKey: GATEWAY_DEFAULTS.otherApiKey,
        concurrencyKey: GATEWAY_DEFAULTS.concurrencyKey,
        disabledModel: GATEWAY_DEFAULTS.disabledModels[0],
        deadlineMs: BUILTIN.deadlineMs + 2_000,
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
