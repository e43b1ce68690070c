import type { Profile } from "../core/profile/schema.ts";
import type { BreakerConfig } from "./breaker.ts";

/** One upstream provider, OpenAI dialect, tried in the order given. */
export interface Upstream {
  name: string;
  /** e.g. `http://127.0.0.1:4010/alpha/v1`. */
  baseUrl: string;
}

export interface GatewayOptions {
  profile: Profile;
  upstreams: Upstream[];
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  apiKeys?: string[];
  /** A key that is valid but has no balance: `balance.insufficient`. */
  brokeKey?: string;
  /** A key that is always over its rate limit: `rate.limited`. */
  limitedKey?: string;
  /** A key limited to `concurrencyLimit` requests in flight: `concurrency.limited`. */
  concurrencyKey?: string;
  concurrencyLimit?: number;
  /** A second ordinary client: idempotency keys and tasks must stay scoped to their own client. */
  otherApiKey?: string;
  /** Model names clients may ask for; all are routed to `upstreamModel`. */
  models?: string[];
  disabledModels?: string[];
  /** The model name sent to the providers. */
  upstreamModel?: string;
  attemptTimeoutMs?: number;
  /** Overall budget for one request, across every attempt. */
  deadlineMs?: number;
  /** Retry-After the gateway itself asks for on its own 429s (and other statuses the profile lists). */
  retryAfterS?: number;
  /** Used when the profile declares no `limits.maxBodyBytes`, so no client can make the gateway buffer without bound. */
  maxBodyBytes?: number;
  /** The gateway's own credential for one provider; it must never reach a client. */
  upstreamKey?: (provider: string) => string;
  /** One-defect mutants, by id (gateway/mutants/). */
  defects?: string[];
  /** A per-provider circuit breaker (breaker.ts); none by default. */
  breaker?: BreakerConfig;
  /**
   * What a mutant that "crashes" the gateway (exit_on_stream_reset) does: in process, stop accepting connections;
   * the CLI passes `process.exit`.
   */
  onCrash?: () => void;
}

type Optional = "profile" | "upstreams" | "breaker" | "onCrash";

export type ResolvedOptions = Required<Omit<GatewayOptions, Optional>> & Pick<GatewayOptions, Optional>;

/** Shared by the gateway, its CLI and the tests, so fixtures line up without repeating literals. */
export const GATEWAY_DEFAULTS: Readonly<Omit<ResolvedOptions, Optional>> = {
  host: "127.0.0.1",
  port: 0,
  apiKeys: ["fl-test-key"],
  brokeKey: "fl-broke-key",
  limitedKey: "fl-limited-key",
  concurrencyKey: "fl-concurrency-key",
  concurrencyLimit: 1,
  otherApiKey: "fl-other-key",
  models: ["faultline-chat"],
  disabledModels: ["faultline-disabled"],
  upstreamModel: "gpt-4o-mini",
  attemptTimeoutMs: 2_000,
  deadlineMs: 10_000,
  retryAfterS: 1,
  maxBodyBytes: 10 * 1024 * 1024,
  upstreamKey: (provider: string) => `sk-upstream-${provider}-0123456789abcdef`,
  defects: [],
};

export function resolveOptions(opts: GatewayOptions): ResolvedOptions {
  const defined = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
  const o: ResolvedOptions = {
    ...GATEWAY_DEFAULTS,
    apiKeys: [...GATEWAY_DEFAULTS.apiKeys],
    models: [...GATEWAY_DEFAULTS.models],
    disabledModels: [...GATEWAY_DEFAULTS.disabledModels],
    defects: [],
    profile: opts.profile,
    upstreams: opts.upstreams,
    ...defined,
  };
  return o;
}
