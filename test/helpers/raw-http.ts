// One HTTP exchange on a raw socket, for tests that judge bytes a client library would hide or fix: the
// head's exact header order, a content-length against the body it frames, when the first byte came.
import { connect } from "node:net";

/** One POST on its own socket (connection: close): when the first byte came, and every byte until close. */
export function rawPost(
  url: string,
  path: string,
  body: string,
): Promise<{ firstByteMs: number; text: string }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1");
    const chunks: Buffer[] = [];
    let t0 = 0;
    let firstByteMs = -1;
    const timer = setTimeout(() => socket.destroy(new Error("no answer within 5 s")), 5_000);
    socket.on("connect", () => {
      t0 = performance.now();
      socket.write(
        `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    });
    socket.on("data", (c: Buffer) => {
      if (firstByteMs < 0) firstByteMs = performance.now() - t0;
      chunks.push(c);
    });
    socket.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ firstByteMs, text: Buffer.concat(chunks).toString("utf8") });
    });
  });
}

/** The head's header names in order, its content-length, and the body with its length in bytes. */
export function shape(text: string) {
  const [head, body] = [text.slice(0, text.indexOf("\r\n\r\n")), text.slice(text.indexOf("\r\n\r\n") + 4)];
  const lines = head.split("\r\n");
  const headers = lines.slice(1).map((l) => l.slice(0, l.indexOf(":")).toLowerCase());
  const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1]);
  return { status: lines[0], headers, length, bodyBytes: Buffer.byteLength(body), body };
}
