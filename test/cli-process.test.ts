// The `faultline` bin as a process: it starts fast for --help and --version, stops cleanly on SIGTERM and
// SIGINT however it is launched (directly, a shell `&`, `npx`, `npm run`), and says in one line when its
// port is taken. Every test starts real processes in their own process group and kills that group after.
import { type ChildProcess, spawn } from "node:child_process";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { listenProblem } from "../scripts/cli/lifecycle.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const BIN = ["bin/faultline.mjs"];
const started: ChildProcess[] = [];

afterEach(() => {
  for (const child of started.splice(0)) {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // the group is already gone
    }
  }
});

interface Launched {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts a command in a process group of its own, as a terminal starts a job. */
function launch(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Launched {
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  started.push(child);
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => out, exited };
}

/** Resolves with what `pattern` captured once the output shows it; rejects after `ms`. */
async function waitFor(l: Launched, pattern: RegExp, ms = 60_000): Promise<string> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const m = pattern.exec(l.output());
    if (m) return m[1] ?? m[0];
    if (l.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no ${pattern} in time; output so far:\n${l.output()}`);
}

/** Whether the promise settles within `ms`: a process that never ends fails the test, not its timeout. */
async function within(p: Promise<unknown>, ms = 15_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((r) => {
    timer = setTimeout(() => r(false), ms);
  });
  const settled = await Promise.race([p.then(() => true), late]);
  clearTimeout(timer);
  return settled;
}

const CONTROL = /control\s+http:\/\/127\.0\.0\.1:(\d+)\//;

/** Whether something accepts connections on the port (a 1 s deadline per attempt). */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: "127.0.0.1" });
    const done = (v: boolean) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(1_000, () => done(true));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

/** Waits until nothing listens on the port any more; false if it still does after `ms`. */
async function freed(port: number, ms = 15_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!(await listening(port))) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe("the faultline process", () => {
  it("prints its version and its help, listing every command", async () => {
    const version = launch(process.execPath, [...BIN, "--version"]);
    expect(await version.exited).toEqual({ code: 0, signal: null });
    expect(version.output().trim()).toMatch(/^\d+\.\d+\.\d+/);

    const help = launch(process.execPath, [...BIN, "--help"]);
    expect((await help.exited).code).toBe(0);
    for (const command of ["run", "mock", "gateway", "replay"])
      expect(help.output()).toMatch(new RegExp(`\\n  ${command} `));
  });

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`closes the mock and exits on ${signal}`, async () => {
      const l = launch(process.execPath, [...BIN, "mock", "--port", "0"]);
      const port = Number(await waitFor(l, CONTROL));
      expect(await listening(port)).toBe(true);
      l.child.kill(signal);
      expect(await l.exited).toEqual({ code: 0, signal: null });
      expect(l.output()).toContain(`faultline mock: ${signal}, closing`);
      expect(await freed(port)).toBe(true);
    });
  }

  it("stops when started with a shell's & and killed by its pid, even with SIGINT (which the shell ignores for it)", async () => {
    const l = launch("sh", [
      "-c",
      `"${process.execPath}" bin/faultline.mjs mock --port 0 & echo "pid $!"; wait`,
    ]);
    const pid = Number(await waitFor(l, /pid (\d+)/));
    const port = Number(await waitFor(l, CONTROL));
    process.kill(pid, "SIGINT");
    expect(await freed(port)).toBe(true);
    expect(await within(l.exited)).toBe(true);
  });

  it("stops when npx is killed: npm forwards SIGTERM only to its shell, which does not pass it on", async () => {
    const l = launch("npm", ["exec", "--yes", "--", "faultline", "mock", "--port", "0"]);
    const port = Number(await waitFor(l, CONTROL));
    l.child.kill("SIGTERM");
    expect(await freed(port)).toBe(true);
    // "close" waits for every holder of npm's stdout, this process's own mock included.
    expect(await within(l.exited)).toBe(true);
    expect(l.output()).toContain("faultline mock: SIGTERM, closing");
  });

  it("stops on Ctrl-C under npm run (SIGINT to the whole foreground group)", async () => {
    const l = launch("npm", ["run", "--silent", "faultline", "--", "mock", "--port", "0"]);
    const port = Number(await waitFor(l, CONTROL));
    process.kill(-l.child.pid!, "SIGINT");
    expect(await freed(port)).toBe(true);
    expect(await within(l.exited)).toBe(true);
  });

  it("says in one line that the port is in use and exits 2", async () => {
    const first = launch(process.execPath, [...BIN, "mock", "--port", "0"]);
    const port = await waitFor(first, CONTROL);
    const second = launch(process.execPath, [...BIN, "mock", "--port", port]);
    expect((await second.exited).code).toBe(2);
    const lines = second.output().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^faultline: .*\\b${port}\\b.* in use`));
    first.child.kill("SIGTERM");
    expect((await first.exited).code).toBe(0);
  });
});

describe("listenProblem", () => {
  it("turns any server's bind failure into one line naming the address and port", () => {
    const err = (code: string) =>
      Object.assign(new Error(code), { code, syscall: "listen", address: "127.0.0.1", port: 80 });
    expect(listenProblem(err("EADDRINUSE"))).toBe(
      "127.0.0.1 port 80 is already in use (EADDRINUSE); stop what holds it or pick another --port",
    );
    expect(listenProblem(err("EACCES"))).toBe(
      "not allowed to bind 127.0.0.1 port 80 (EACCES); pick a port above 1023",
    );
    expect(listenProblem(err("EMFILE"))).toBe("cannot listen on 127.0.0.1 port 80 (EMFILE)");
    expect(
      listenProblem(Object.assign(new Error("x"), { code: "ECONNREFUSED", syscall: "connect" })),
    ).toBeUndefined();
  });
});
