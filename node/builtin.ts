import type { Profile } from "../core/profile/schema.ts";
import { type BuiltinDefaults, TARGET_KEYS } from "../core/target-keys.ts";
import { GATEWAY_DEFAULTS, startGateway } from "../gateway/index.ts";
import { DEFAULT_PROVIDERS } from "../mocks/engine.ts";
import { startMock } from "../mocks/server.ts";
import type { Target } from "../suites/target.ts";

/** The built-in reference gateway's attempt timeout and deadline: short, so runs stay fast. */
// One second per attempt: the harness, the mock and this gateway share one event loop, and on a loaded machine
// (CI's two cores running several test files) a shorter timer fires before an answer already written is read.
export const BUILTIN = { attemptTimeoutMs: 1_000, deadlineMs: 5_000 } as const;

/** Upstream properties run at once against the built-in gateway, which keeps no state between requests. */
export const BUILTIN_UPSTREAM_CONCURRENCY = 4;

export interface BuiltinSetup {
  target: Target;
  close(): Promise<void>;
}

/** The target built-in mode runs against: each key's built-in value (target-keys.ts) over these servers. */
export function builtinTarget(gatewayUrl: string, mockUrl: string): Target {
  const d: BuiltinDefaults = {
    ...GATEWAY_DEFAULTS,
    gatewayUrl,
    mockUrl,
    // The reference gateway's deadline, plus the grace the harness gives any gateway.
    deadlineMs: BUILTIN.deadlineMs + 2_000,
  };
  const target: Record<string, unknown> = { headers: {} };
  for (const k of TARGET_KEYS) if ("builtin" in k) target[k.field] = k.builtin(d);
  return target as Target;
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
    return {
      target: builtinTarget(gw.url, mock.url),
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
