import { admitRequest, checkAccount } from "./admit.ts";
import { failover } from "./failover.ts";
import type { Mutation } from "./mutations.ts";
import { type GatewayPolicy, POLICY_VARIANTS, REFERENCE_POLICY } from "./policy.ts";

/**
 * One-defect mutations for the rules of docs/contract.md §18, §19, §23–§26. Each bends one member of the
 * gateway's policy (policy.ts); the rest of the reference gateway is untouched.
 */
export const CHECK_MUTATIONS: readonly Mutation[] = [
  {
    id: "forward_client_key",
    family: "leak",
    expectedCheck: "CRED-001",
    summary: "the client's API key is sent upstream as the provider credential",
  },
  {
    id: "upstream_before_refusal",
    family: "rejection",
    expectedCheck: "BILL-001",
    summary: "a broke or rate-limited key's request is sent to a provider first, then refused",
  },
  {
    id: "amplify_429",
    family: "retry-after",
    expectedCheck: "AMP-001",
    summary: "a provider's 429 is retried on the same provider at once, up to 6 attempts per provider",
  },
  {
    id: "retry_after_own",
    family: "retry-after",
    expectedCheck: "RA-004",
    profile: "meta-envelope",
    summary:
      "when every provider is rate-limited, the 503 carries the gateway's own Retry-After: 1, not the providers' wait",
  },
  {
    id: "error_stack",
    family: "envelope",
    expectedCheck: "INT-001",
    summary: "error messages end with the JavaScript stack of the error that produced them",
  },
  {
    id: "stream_no_idle_limit",
    family: "stream",
    expectedCheck: "STR-004",
    summary:
      "a committed stream has no idle timeout and outlives the deadline: a stalled provider is waited on forever",
  },
  {
    id: "stream_error_then_done",
    family: "stream",
    expectedCheck: "STR-005",
    summary:
      'a broken stream ends with a malformed error event ({"error": "<text>"}) followed by data: [DONE]',
  },
];

const VARIANTS: Record<string, Partial<GatewayPolicy>> = {
  forward_client_key: {
    upstreamHeaders: (c, stream, u) => ({
      ...REFERENCE_POLICY.upstreamHeaders(c, stream, u),
      // The defect: the client's own credential, passed through, instead of the gateway's provider key.
      authorization: `Bearer ${c.key}`,
    }),
  },
  upstream_before_refusal: {
    async admit(c) {
      const chat = await admitRequest(c);
      try {
        checkAccount(c);
      } catch (e) {
        // The defect: the account is checked after a provider has already done the (billable) work.
        await failover({
          upstreams: c.opts.upstreams.slice(0, 1),
          dispatcher: c.dispatcher,
          payload: JSON.stringify({ ...chat.body, model: c.opts.upstreamModel, stream: false }),
          stream: false,
          headersFor: (u) => REFERENCE_POLICY.upstreamHeaders(c, false, u),
          stops: [[c.client, "client"]],
          attemptTimeoutMs: c.opts.attemptTimeoutMs,
          defects: new Set(),
        });
        throw e;
      }
      return chat;
    },
  },
  amplify_429: { askAgain: (status, attempts) => status === 429 && attempts < 6 },
  retry_after_own: { exhaustedRetryAfterS: () => undefined },
  error_stack: { errorSpec: (e) => ({ ...e.spec, message: `${e.spec.message}\n${e.stack}` }) },
  stream_no_idle_limit: { streamLimits: () => ({ idleTimeoutMs: undefined, untilDeadline: false }) },
  stream_error_then_done: {
    streamErrorFrames: (encoder, _body, spec) =>
      `data: ${JSON.stringify({ error: spec.message })}\n\n${encoder.close()}`,
  },
};

for (const [id, variant] of Object.entries(VARIANTS)) POLICY_VARIANTS.set(id, variant);
