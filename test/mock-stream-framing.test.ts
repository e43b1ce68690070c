// A stream with no pause goes out as one batch of writes (mocks/transport.ts, burst); on the wire it must
// stay what a streaming provider sends: one HTTP chunk per SSE event, then the terminator, so a gateway
// whose parser assumes anything about chunk boundaries meets the same bytes as from a paced stream.
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MockServer, startMock } from "../mocks/server.ts";

let mock: MockServer;
beforeAll(async () => {
  mock = await startMock();
});
afterAll(() => mock.close());

/** The raw response of one request, read until the chunked terminator. */
function raw(path: string, body: string): Promise<string> {
  const { port } = new URL(mock.url);
  return new Promise((resolve, reject) => {
    let text = "";
    const socket = connect(Number(port), "127.0.0.1");
    socket.setTimeout(3_000, () => socket.destroy(new Error("raw tcp deadline")));
    socket.on("data", (d) => {
      text += d.toString("latin1");
      if (text.endsWith("\r\n0\r\n\r\n")) {
        socket.end();
        resolve(text);
      }
    });
    socket.on("error", reject);
    socket.write(
      `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  });
}

/** The chunks of a chunked body, as framed. */
function chunks(response: string): string[] {
  let rest = response.slice(response.indexOf("\r\n\r\n") + 4);
  const out: string[] = [];
  for (;;) {
    const eol = rest.indexOf("\r\n");
    const size = Number.parseInt(rest.slice(0, eol), 16);
    if (size === 0) return out;
    const bytes = Buffer.from(rest.slice(eol + 2), "latin1");
    out.push(bytes.subarray(0, size).toString("utf8"));
    rest = bytes.subarray(size).toString("latin1");
    expect(rest.startsWith("\r\n")).toBe(true);
    rest = rest.slice(2);
  }
}

describe("an instant stream on the wire", () => {
  for (const [dialect, path, body] of [
    [
      "openai",
      "/alpha/v1/chat/completions",
      { model: "gpt-4o-mini", stream: true, messages: [{ role: "user", content: "héllo wörld" }] },
    ],
    [
      "openai with include_usage",
      "/alpha/v1/chat/completions",
      {
        model: "gpt-4o-mini",
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: "user", content: "hi" }],
      },
    ],
  ] as const) {
    it(`${dialect}: one HTTP chunk per SSE event, each a whole event`, async () => {
      const response = await raw(path, JSON.stringify(body));
      expect(response).toMatch(/^HTTP\/1\.1 200 /);
      expect(response.toLowerCase()).toContain("transfer-encoding: chunked");
      const framed = chunks(response);
      expect(framed.length).toBeGreaterThan(3);
      for (const c of framed) expect(c).toMatch(/^data: [^\n]+\n\n$/);
      expect(framed.at(-1)).toBe("data: [DONE]\n\n");
    });
  }

  it("a stream with a pause is framed the same way", async () => {
    const plan = await fetch(`${mock.url}/_faultline/plans`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ providers: { alpha: [{ step: "slow_stream", chunkIntervalMs: 5 }] } }),
      signal: AbortSignal.timeout(2_000),
    });
    expect(plan.status).toBe(201);
    const { marker } = (await plan.json()) as { marker: string };
    const response = await raw(
      "/alpha/v1/chat/completions",
      JSON.stringify({ model: "gpt-4o-mini", stream: true, messages: [{ role: "user", content: marker }] }),
    );
    const framed = chunks(response);
    for (const c of framed) expect(c).toMatch(/^data: [^\n]+\n\n$/);
    expect(framed.at(-1)).toBe("data: [DONE]\n\n");
  });
});
