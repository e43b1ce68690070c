import type { KeyParse } from "../idempotency-key.ts";

/** What the gateway knows of an Idempotency-Key it has seen before. */
export interface SeenKey {
  /** The payload's fingerprint matches the first request's. */
  samePayload: boolean;
  /** The first request's answer is stored: it has finished. */
  finished: boolean;
}

/** Idempotent replay (docs/contract.md §14; draft-ietf-httpapi-idempotency-key-header). */
export interface IdempotencyPolicy {
  /** The key the header names: the quoted sf-string and the bare token are one key (§14). */
  idempotencyKey(raw: string): KeyParse;
  /** Where a key is stored: scoped to the client that sent it, `scope` (§14: never another client's answer). */
  idempotencyScope(scope: string, key: string): string;
  /**
   * What a request with a key seen before gets: a `mismatch` refusal for another payload, an `in_flight`
   * refusal while the first runs, the stored answer `replay`ed once it finished (§14); `run` otherwise.
   */
  repeatAction(seen: SeenKey): "mismatch" | "in_flight" | "replay" | "run";
  /** The headers a replay sends: the stored answer's, content type included (§14). */
  replayHeaders(stored: Record<string, string>): Record<string, string>;
  /**
   * What becomes of a key once its first answer is finished (`status`; undefined: the client went away):
   * `keep` it, or `release` it after a 5xx or 429 (nothing was done, a retry may run), or `hold` it (§14).
   */
  afterAnswer(status: number | undefined): "keep" | "release" | "hold";
}
