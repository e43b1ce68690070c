import type { Condition, Profile } from "../../core/profile/schema.ts";
import type { ErrorSpec, GatewayError } from "../error-spec.ts";

/** What an error body carries beside its code and message, before it is written at the profile's paths. */
export interface EnvelopeValues {
  /** The profile's fixed fields (`success: false`, `data: null`). */
  fixed: Record<string, unknown>;
  retryAfterS?: number;
  /** The Agent-First `retryable` hint. */
  retryable: boolean;
  requestId?: string;
  timestamp: string | number;
  /** The code's `requires` fields, by their path. */
  required: Record<string, unknown>;
}

/** How a refusal becomes an answer: its condition, code, status, headers and body. */
export interface ErrorPolicy {
  /** The condition the gateway names for what it saw: the one it saw (docs/contract.md §4, condition → code). */
  conditionFor(cond: Condition): Condition;
  /**
   * The status a condition's code is answered with: `catalogued`, the catalogue's status for `code`
   * (docs/contract.md §1, the status is the catalogue's status for that code).
   */
  statusFor(cond: Condition, code: string, catalogued: number, profile: Profile): number;
  /**
   * Whether an answer tells the client when to come back: the statuses the profile lists, and any 429 or
   * 503 that carries a wait of its own, `asked` (docs/contract.md §9, §24; RFC 9110 §10.2.3).
   */
  wantsRetryAfter(profile: Profile, status: number, asked: boolean): boolean;
  /**
   * The values an error body carries: Retry-After as the header says, `retryable` as the status says, a
   * fresh request id, an ISO 8601 timestamp, every field the code requires (docs/contract.md §1, §9, §13;
   * the built-in profiles' rows for hints and required fields).
   */
  envelopeValues(profile: Profile, spec: ErrorSpec, requestId: string, retryAfterS?: number): EnvelopeValues;
  /** The error body: every value at the path the profile's envelope names for it (docs/contract.md §1). */
  renderError(profile: Profile, spec: ErrorSpec, values: EnvelopeValues): Record<string, unknown>;
  /** The profile one endpoint family answers errors by: its own envelope and codes (docs/contract.md §1). */
  familyProfile(profile: Profile, family: string): Profile;
  /** The error a refusal thrown inside the pipeline is answered with (docs/contract.md §25: no internals). */
  errorSpec(e: GatewayError): ErrorSpec;
}
