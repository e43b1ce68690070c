/**
 * Reads server-sent events from a byte stream and yields each event's `data` (multi-line data joined
 * with "\n", per the WHATWG SSE parsing rules). Comments and other fields are skipped.
 */
export class SseReader {
  private buffer = "";
  private readonly decoder = new TextDecoder();
  private readonly source: AsyncIterator<Uint8Array>;
  private ended = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.source = source[Symbol.asyncIterator]();
  }

  /** The next event's data; undefined when the stream ended (cleanly). Throws when the socket breaks. */
  async next(): Promise<string | undefined> {
    for (;;) {
      const event = this.takeEvent();
      if (event !== undefined) return event;
      if (this.ended) return undefined;
      const { value, done } = await this.source.next();
      if (done) {
        this.ended = true;
        // A trailing event without its blank line is incomplete: the stream was cut mid-event.
        this.buffer += this.decoder.decode();
      } else {
        // Normalised over the whole buffer so a CRLF split across two chunks still counts as one newline.
        this.buffer = (this.buffer + this.decoder.decode(value, { stream: true })).replace(/\r\n/g, "\n");
      }
    }
  }

  /** Stops reading; the body is destroyed so its socket is released. */
  async close(): Promise<void> {
    await this.source.return?.();
  }

  private takeEvent(): string | undefined {
    for (;;) {
      const end = this.buffer.indexOf("\n\n");
      if (end === -1) return undefined;
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const data = block
        .split("\n")
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).replace(/^ /, ""));
      if (data.length > 0) return data.join("\n");
    }
  }
}
