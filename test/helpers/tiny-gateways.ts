// Small node:http gateways with one defect each that the reference gateway cannot show, for the CLI's
// tests of setup problems, hostile bytes and echoed secrets. Each test closes what it starts.
import { spawn } from "node:child_process";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
}

async function body(req: IncomingMessage): Promise<string> {
  let text = "";
  for await (const c of req) text += c;
  return text;
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
}

/** A completion the gateway makes up itself: it never asks a provider (a model routed elsewhere). */
export function selfAnsweringGateway(onRequest?: (req: IncomingMessage) => void): Server {
  return createServer(async (req, res) => {
    onRequest?.(req);
    await body(req);
    json(res, 200, {
      id: "chatcmpl-local",
      object: "chat.completion",
      model: "local",
      choices: [
        { index: 0, message: { role: "assistant", content: "answered locally" }, finish_reason: "stop" },
      ],
    });
  });
}

/**
 * A gateway that answers every request 400 quoting the request's credential and headers (a debugging aid
 * gone wrong), in an envelope without a code, so ENV-001 prints the body.
 */
export function echoingGateway(): Server {
  return createServer(async (req, res) => {
    await body(req);
    json(res, 400, {
      error: {
        message: `bad request from ${req.headers.authorization ?? "nobody"}; headers were ${JSON.stringify(req.headers)}`,
        type: "invalid_request_error",
      },
    });
  });
}

/** Raw bytes no report may pass on as they are: NUL, ESC sequences, C1, DEL, a bidi override, bad UTF-8. */
export const HOSTILE = Buffer.concat([
  Buffer.from(
    '{"error":{"message":"bad \u0000 nul \u001b[31mred\u001b[0m \u001b]0;pwned\u0007 \u0085 \u007f \u202e',
  ),
  Buffer.from([0xed, 0xa0, 0x80, 0xff]),
  Buffer.from('","type":"x","code":"INVALID_REQUEST"}}'),
]);

/** A gateway whose every answer is a 400 carrying hostile bytes in its body. */
export function hostileGateway(): Server {
  return createServer(async (req, res) => {
    await body(req);
    res.writeHead(400, { "content-type": "application/json" }).end(HOSTILE);
  });
}

/** Forwards chat requests to one OpenAI-dialect provider after "cleaning" the prompt of the plan marker. */
export function markerStrippingGateway(providerBaseUrl: string): Server {
  return createServer(async (req, res) => {
    const text = (await body(req)).replace(/faultline:[A-Za-z0-9_-]+/g, "");
    const up = await fetch(`${providerBaseUrl}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer sk-upstream" },
      body: text,
      signal: AbortSignal.timeout(5_000),
    });
    res.writeHead(up.status, { "content-type": "application/json" }).end(await up.text());
  });
}

/** A listening socket that accepts connections and never answers. */
export function hangingGateway(): Server {
  return createServer(() => {
    // never answers
  });
}

export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a shell command line (as a user pastes it) from the repository root, with a hard deadline. */
export function bash(
  line: string,
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 60_000,
  onStdout?: (all: string, kill: (s: NodeJS.Signals) => void) => void,
): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", line], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const kill = (s: NodeJS.Signals) => child.kill(s);
    child.stdout.on("data", (d) => {
      stdout += d;
      onStdout?.(stdout, kill);
    });
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
