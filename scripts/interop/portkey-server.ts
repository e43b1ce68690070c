import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

export interface PortkeyServer {
  url: string;
  version: string;
  /** What the gateway printed on stderr (capped): its own log of upstream failures. */
  log(): string;
  close(): Promise<void>;
}

export interface PortkeyOptions {
  /** 0 (the default) picks a free loopback port. */
  port?: number;
  readyTimeoutMs?: number;
}

const MAX_LOG_CHARS = 64 * 1024;

/** The installed gateway's package directory (the devDependency `@portkey-ai/gateway`). */
export function portkeyPackage(): { dir: string; version: string; bin: string } {
  const pkgFile = require.resolve("@portkey-ai/gateway/package.json");
  const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as {
    version: string;
    bin: string | Record<string, string>;
  };
  const bin = typeof pkg.bin === "string" ? pkg.bin : Object.values(pkg.bin)[0]!;
  return { dir: dirname(pkgFile), version: pkg.version, bin: join(dirname(pkgFile), bin) };
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once("exit", () => resolve()));
}

/** Polls `GET /` (Portkey answers "AI Gateway says hey!") until it answers or the child dies. */
async function waitReady(
  url: string,
  child: ChildProcess,
  timeoutMs: number,
  log: () => string,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null)
      throw new Error(`Portkey exited with code ${child.exitCode} before it was ready:\n${log()}`);
    const ok = await fetch(`${url}/`, { signal: AbortSignal.timeout(1_000) })
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Portkey did not answer GET ${url}/ within ${timeoutMs} ms:\n${log()}`);
}

/**
 * Starts Portkey's open-source gateway (`build/start-server.js --port=N --headless`) on loopback.
 * Its start script binds every interface and takes no host flag, so `loopback-only.mjs` is preloaded to bind
 * 127.0.0.1 and to refuse connections beyond loopback; the environment is emptied of proxies, Redis and
 * cloud credentials, and NODE_ENV=production turns off its log-streaming UI.
 */
export async function startPortkey(opts: PortkeyOptions = {}): Promise<PortkeyServer> {
  const { version, bin } = portkeyPackage();
  const port = opts.port || (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    ["--import", join(HERE, "loopback-only.mjs"), bin, `--port=${port}`, "--headless"],
    {
      env: {
        PATH: process.env.PATH ?? "",
        NODE_ENV: "production",
        TRUSTED_CUSTOM_HOSTS: "127.0.0.1,localhost",
        FAULTLINE_EXIT_WITH_PARENT: "1",
      },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    stderr = (stderr + d).slice(-MAX_LOG_CHARS);
  });
  const log = () => stderr;
  // A test runner that times out (or a Ctrl-C) ends this process without running `close`: Portkey must not
  // outlive it, so the exit hook kills it synchronously (the only thing an exit handler may do).
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.off("exit", killOnExit));
  const close = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const done = exited(child);
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 2_000);
    await done;
    clearTimeout(timer);
  };
  try {
    await waitReady(url, child, opts.readyTimeoutMs ?? 20_000, log);
  } catch (e) {
    await close();
    throw e;
  }
  return { url, version, log, close };
}
