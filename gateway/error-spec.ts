/** An error the gateway answers, before it is rendered into the profile's envelope. */
export interface ErrorSpec {
  code: string;
  status: number;
  message: string;
  /** The offending request field, for envelopes with a `param` or `field` path. */
  param?: string;
  /** The closest model the gateway serves, for envelopes with a `did_you_mean` hint. */
  didYouMean?: string;
  /** Values for the code's `requires` paths, by their last segment (`active_requests`). */
  extra?: Record<string, unknown>;
  headers?: Record<string, string>;
  /** The wait this answer asks for (s), when it is not the gateway's usual one: the providers' (§24). */
  retryAfterS?: number;
}

/** Thrown by any stage of the pipeline; the server renders it. */
export class GatewayError extends Error {
  constructor(readonly spec: ErrorSpec) {
    super(spec.message);
  }
}
