import type { ErrorSpec } from "../error-spec.ts";
import type { StreamEncoder } from "../families/types.ts";

/** How a committed stream is relayed and how it ends when it breaks. */
export interface StreamPolicy {
  /** The bytes of one relayed event: as framed, each ending in a blank line (docs/contract.md §15, SSE). */
  streamFrame(raw: string): string;
  /**
   * The frames a broken stream ends with: the dialect's error event in the gateway's envelope and nothing
   * after it, no terminator (docs/contract.md §15, §26).
   */
  streamErrorFrames(encoder: StreamEncoder, body: Record<string, unknown>, spec: ErrorSpec): string;
  /**
   * What a provider's reset in the middle of a committed stream does to the gateway: nothing beyond that
   * stream, which ends with an error event (docs/contract.md §17: the gateway survives). True when the
   * member took care of the stream itself.
   */
  onStreamReset(crash: () => void): boolean;
}
