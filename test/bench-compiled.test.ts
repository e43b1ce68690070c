// The benches run their server child as compiled JavaScript in plain node (scripts/bench/compiled.ts), as
// users run the mock. The benches themselves run by hand, so the compilation and the compiled server are
// held here: a server that no longer compiles, or compiles into something that cannot start, fails CI.
import { fork } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { request } from "undici";
import { afterAll, describe, expect, it } from "vitest";
import { isType, next } from "../scripts/bench/children.ts";
import { compiledServer } from "../scripts/bench/compiled.ts";

const cache = join(import.meta.dirname, "..", "node_modules", ".cache");

describe("the benches' compiled server", () => {
  let script: string | undefined;
  // The bench removes its directory when its process exits; a test worker may be stopped without that.
  afterAll(() => {
    if (script) rmSync(resolve(script, "../../../.."), { recursive: true, force: true });
  });

  it("sweeps what a killed bench left, compiles once, and answers as the mock in plain node", async () => {
    // A pid no process has (Linux's pid_max is at most 2^22): what a bench killed mid-run leaves behind.
    const left = join(cache, "faultline-bench-4194305");
    mkdirSync(left, { recursive: true });
    script = compiledServer();
    expect(existsSync(left)).toBe(false);
    expect(script.endsWith(join("scripts", "bench", "server.js"))).toBe(true);
    expect(compiledServer()).toBe(script);

    const child = fork(script, ["mock"], { execArgv: [], stdio: ["ignore", "ignore", "pipe", "ipc"] });
    try {
      const ready = await next<{ url: string; rssBytes: number }>(child, isType("ready"));
      expect(ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await request(`${ready.url}/alpha/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }),
        headersTimeout: 5_000,
        bodyTimeout: 5_000,
      });
      const body = (await res.body.json()) as { object: string };
      expect(res.statusCode).toBe(200);
      expect(body.object).toBe("chat.completion");
      const exited = new Promise<number | null>((r) => child.once("exit", r));
      child.send({ type: "stop" });
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 60_000);
});
