/** What the mock knows of one incoming request, independent of the runtime (node:http, msw, nock). */
export interface MockRequest {
  method: string;
  /** Path without the query string, e.g. `/alpha/v1/chat/completions`. */
  path: string;
  query: URLSearchParams;
  /** The query string as received (without `?`), when the transport has it: the journal keeps it as is. */
  rawQuery?: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body: string;
}

/** One piece of a streamed body, written after its own delay. */
export interface Chunk {
  data: string;
  delayMs?: number;
}

/**
 * What the mock answers to one attempt. The decision is plain data; only the transport layer
 * (node:http, or an adapter) turns it into bytes and socket events.
 */
export interface Reply {
  /** Latency before anything is written. */
  delayMs?: number;
  /** A transport fault before any byte of the response: no status line at all. */
  fault?: "hang" | "reset" | "empty";
  status: number;
  headers: Record<string, string>;
  /** A whole body, written at once. */
  body?: string;
  /** A streamed body; `body` is ignored when chunks are given. */
  chunks?: Chunk[];
  /**
   * How the connection ends after the body: `finish` cleanly; `cut` destroys the socket without the
   * chunked terminator; `reset` sends a TCP RST; `hang` leaves the response open until the client gives up.
   */
  end?: "finish" | "cut" | "reset" | "hang";
}

export type DialectId = "openai" | "anthropic" | "gemini";
