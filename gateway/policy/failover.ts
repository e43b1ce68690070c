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
   * What to do with a provider's 200 (a JSON body, or a stream's first event): `refuse` one that is no
   * completion — a blocked prompt, a filtered or refused answer — like the provider's content-policy 400,
   * or `relay` it (docs/contract.md §29, §5: a block is never passed off as a plain completion).
   */
  completionRefusal(answer: Record<string, unknown>): { refuse: string } | { relay: Record<string, unknown> };
}
