import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GATEWAY_DEFAULTS } from "../gateway/index.ts";
import { DEFAULT_PROVIDERS } from "../mocks/engine.ts";
import { type MockServer, startMock } from "../mocks/server.ts";
import { type RunFlags, runHarness } from "../scripts/cli/run.ts";
import { probeGateway } from "../suites/harness/liveness.ts";

// A gateway that really crashes: a child process (`faultline gateway --defect exit_on_stream_reset`) that
// calls process.exit when a provider resets its stream midway. The crash is LIVE-001's finding, named by
// the case before the first refused connection; the cases after it are "gateway down", nobody's finding.
const dir = mkdtempSync(join(tmpdir(), "faultline-live-"));
let mock: MockServer;
beforeAll(async () => {
  mock = await startMock({ providers: DEFAULT_PROVIDERS });
});
afterAll(async () => {
  await mock?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `faultline gateway` as a child process; with `supervise`, restarts it on the same port when it exits. */
async function childGateway(
  supervise: boolean,
): Promise<{ url: string; restarts: () => number; stop(): Promise<void> }> {
  let stopping = false;
  let restarts = 0;
  let boundPort = 0;
  let child: ChildProcess;
  const start = (port: number) =>
    new Promise<string>((resolve, reject) => {
      child = spawn(
        process.execPath,
        [
          "bin/faultline.mjs",
          "gateway",
          "--profile",
          "lumenfall",
          "--upstreams",
          DEFAULT_PROVIDERS.map((p) => mock.providerUrl(p.name)).join(","),
          "--port",
          String(port),
          "--attempt-timeout-ms",
          "250",
          "--deadline-ms",
          "3000",
          "--defect",
          "exit_on_stream_reset",
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      let out = "";
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /gateway\s+(http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.stderr!.on("data", (d: Buffer) => {
        out += d.toString();
      });
      child.once("exit", (code) => {
        reject(new Error(`gateway exited ${code} before it listened: ${out}`));
        if (supervise && !stopping) {
          restarts++;
          void start(boundPort).catch(() => undefined);
        }
      });
    });
  const url = await start(0);
  boundPort = Number(new URL(url).port);
  return {
    url,
    restarts: () => restarts,
    async stop() {
      stopping = true;
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await gone;
      }
    },
  };
}

const flagsFor = (url: string, report: string): RunFlags => ({
  gateway: url,
  mock: mock.url,
  profile: "lumenfall",
  apiKey: GATEWAY_DEFAULTS.apiKeys[0],
  model: GATEWAY_DEFAULTS.models[0],
  deadlineMs: 5_000,
  seed: 5,
  runs: 12,
  quiet: true,
  report,
});

describe("a gateway that exits on a mid-stream upstream reset", () => {
  it("fails LIVE-001 naming the case, reports no ECONNREFUSED under other checks, and stops the run", async () => {
    const gw = await childGateway(false);
    try {
      const report = join(dir, "down");
      const out = await runHarness({ ...flagsFor(gw.url, report), restartWaitMs: 1_000 }, {});
      expect((await probeGateway({ gateway: gw.url }, 2_000)).up).toBe(false);
      expect(out.exitCode, out.output).toBe(1);
      const r = out.result!;
      const live = r.checks.find((c) => c.id === "LIVE-001")!;
      expect(live.outcome).toBe("fail");
      const v = live.violations[0]!;
      expect(v.property).toBe("streams.break");
      // The case that took it down: its plan gives a provider a mid-stream reset (the coverage phase puts
      // it on the first, middle or last provider).
      expect(JSON.stringify(v.case.plan!.providers)).toContain("stream_reset");
      expect(v.received).toContain("stopped accepting connections");
      expect(v.caseFile, "the finding gets a case file").toBeTruthy();
      // No other check blames the gateway for a refused connection.
      const others = r.checks.filter((c) => c.id !== "LIVE-001").flatMap((c) => c.violations);
      expect(others.filter((x) => /ECONNREFUSED/.test(x.received)).map((x) => x.checkId)).toEqual([]);
      expect(r.stopped?.reason).toMatch(/stopped accepting connections after a streams\.break case/);
      expect(r.properties.find((p) => p.id === "tasks.lifecycle")!.reason).toMatch(
        /not run: the run stopped/,
      );
      expect(out.output).toContain("LIVE-001");
      const json = JSON.parse(readFileSync(join(report, "report.json"), "utf8"));
      expect(json.checks.find((c: { id: string }) => c.id === "LIVE-001").outcome).toBe("fail");
    } finally {
      await gw.stop();
    }
  }, 120_000);

  it("under a supervisor that restarts it, the run goes on: every crash is LIVE-001's, later cases are judged", async () => {
    const gw = await childGateway(true);
    try {
      const out = await runHarness(
        { ...flagsFor(gw.url, join(dir, "supervised")), only: ["LIVE-001", "STR-*", "TRN-001"] },
        {},
      );
      const r = out.result!;
      expect(gw.restarts(), out.output).toBeGreaterThan(0);
      expect(r.stopped, out.output).toBeUndefined();
      expect(r.checks.find((c) => c.id === "LIVE-001")!.outcome).toBe("fail");
      const brk = r.properties.find((p) => p.id === "streams.break")!;
      expect(brk.executed, out.output).toBe(brk.requested);
      const others = r.checks.filter((c) => c.id !== "LIVE-001").flatMap((c) => c.violations);
      expect(others.map((x) => `${x.checkId}: ${x.received}`)).toEqual([]);
      expect(out.exitCode).toBe(1);
    } finally {
      await gw.stop();
    }
  }, 180_000);
});
