// An idle mock holds what answering needs and nothing else: zod and yaml (validating plans and scenarios),
// prom-client (a metrics scrape) and the OpenAPI document load on first use (mocks/lazy.ts), which took
// its idle memory from 149 MB to 53 MB against bare node:http's 46 MB. A static import of any of them on
// the mock's path would put that memory back without failing anything else, so this test watches what a
// fresh mock process loads: every ES module through a loader hook, every CommonJS one in require's cache.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runChild } from "./helpers/child.ts";

const dir = mkdtempSync(join(tmpdir(), "faultline-idle-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HOOK = `let port;
export function initialize(data) { port = data.port; }
export async function load(url, context, next) { port.postMessage(url); return next(url, context); }`;

/** The modules a fresh mock process has loaded after `use` ran against it (JavaScript, given `m`). */
function loadedAfter(use: string): Promise<string[]> {
  const server = pathToFileURL(join(import.meta.dirname, "../mocks/server.ts")).href;
  const script = join(dir, `probe-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(
    script,
    `import { register, createRequire } from "node:module";
import { MessageChannel } from "node:worker_threads";
const { port1, port2 } = new MessageChannel();
const loaded = new Set();
port1.on("message", (u) => loaded.add(u));
port1.unref();
register("data:text/javascript," + encodeURIComponent(${JSON.stringify(HOOK)}), { data: { port: port2 }, transferList: [port2] });
const { startMock } = await import(${JSON.stringify(server)});
const m = await startMock();
const post = (path, body) => fetch(m.url + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) }).then((r) => r.text());
${use}
// The hook's thread posts each URL as it loads it: let the last messages arrive.
await new Promise((r) => setTimeout(r, 200));
const cjs = Object.keys(createRequire(import.meta.url).cache);
await m.close();
process.stdout.write(JSON.stringify([...loaded, ...cjs]));
`,
  );
  return runChild(process.execPath, ["--import", "tsx", script], {
    cwd: join(import.meta.dirname, ".."),
  }).then((r) => {
    if (r.code !== 0) throw new Error(`probe exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as string[];
  });
}

const LAZY: Array<[string, RegExp]> = [
  ["zod", /node_modules\/zod\//],
  ["yaml", /node_modules\/yaml\//],
  ["prom-client", /node_modules\/prom-client\//],
  ["the OpenAPI document", /\/mocks\/openapi\.ts$/],
];
const holding = (modules: string[]) =>
  LAZY.filter(([, re]) => modules.some((m) => re.test(m))).map(([n]) => n);

describe("an idle mock's modules", () => {
  it("answers a provider request without loading zod, yaml, prom-client or the OpenAPI document", async () => {
    const modules = await loadedAfter(
      `await post("/alpha/v1/chat/completions", { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });`,
    );
    // The probe saw the mock's own modules load: an empty list would pass for the wrong reason.
    expect(modules.some((m) => m.endsWith("/mocks/engine.ts"))).toBe(true);
    expect(holding(modules)).toEqual([]);
  });

  it("loads each on the first call that needs it", async () => {
    const modules = await loadedAfter(
      `await post("/_faultline/plans", { providers: { alpha: ["ok"] } });
await fetch(m.url + "/_faultline/scenario", { method: "PUT", body: "name: s\\ndescription: d\\nphases:\\n  - name: a\\n    durationMs: 1000\\n    providers:\\n      alpha: ok\\n", signal: AbortSignal.timeout(10_000) }).then((r) => r.text());
await fetch(m.url + "/_faultline/metrics", { signal: AbortSignal.timeout(10_000) }).then((r) => r.text());
await fetch(m.url + "/_faultline/openapi.json", { signal: AbortSignal.timeout(10_000) }).then((r) => r.text());`,
    );
    expect(holding(modules)).toEqual(LAZY.map(([n]) => n));
  });
});
