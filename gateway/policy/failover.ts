/** What one failed attempt at a provider says, as far as the next step is concerned. */
export interface FailedAttempt {
  status?: number;
  /** The failure is the provider's (429, 5xx, transport), not the request's. */
  retryable: boolean;
  /** Whether the request streams. */
  stream: boolean;
  /** Attempts made at this provider so far, this one included. */
  attempts: number;
}

/** What the gateway does after a provider failed an attempt, before anything reached the client. */
export interface FailoverPolicy {
  /**
   * How a failure is answered: `next` moves on (a retryable failure, docs/contract.md §6), `answer`
   * answers the provider's refusal (§8: a non-retryable error is not failed over).
   */
  upstreamVerdict(f: FailedAttempt): "next" | "answer" | "client_auth";
  /**
   * After a retryable failure: `next` provider (§6, streams included before their first byte, §15),
   * the `same` provider again, or `stop` and answer exhaustion. Never the same provider at once: it asked
   * for a wait (§10, §23: bounded amplification).
   */
  afterFailure(f: FailedAttempt): "next" | "same" | "stop";
  /**
   * Why a provider's 200 (a JSON body, or a stream's first event) is no completion — a blocked prompt, a
   * filtered or refused answer — or undefined when it is one. A refusal is answered like the provider's
   * content-policy 400 and not passed on as a 2xx (docs/contract.md §29, §5).
   */
  completionRefusal(answer: Record<string, unknown>): string | undefined;
}
