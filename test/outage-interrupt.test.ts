// An outage run stopped by Ctrl-C or SIGTERM keeps its data: `faultline outage`, a real process, writes the
// phases played so far to outage.json and outage.html, marked interrupted, exits 130 or 143 as a shell
// expects, and leaves none of the servers it started behind.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { OutageResult } from "../suites/outage/result.ts";

const repo = join(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "faultline-outage-interrupt-"));
const started: ChildProcess[] = [];
afterAll(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `faultline outage` in its own process group, as a terminal starts a command. */
function outage(report: string) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(npm_|VITEST|NODE_OPTIONS$|TSX_|FAULTLINE_)/.test(k)),
  );
  const child = spawn(
    process.execPath,
    [
      join(repo, "bin/faultline.mjs"),
      "outage",
      "--scenario",
      "provider-down",
      "--rate",
      "20",
      "--duration",
      "60",
      "--report",
      report,
    ],
    { cwd: repo, env: { ...env, NO_COLOR: "1" }, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  started.push(child);
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { child, exited, output: () => out };
}

/** Resolves once the output matches; rejects when the process ended first, or after `ms`. */
async function until(
  run: { child: ChildProcess; output: () => string },
  re: RegExp,
  ms: number,
): Promise<RegExpExecArray> {
  const end = Date.now() + ms;
  for (;;) {
    const m = re.exec(run.output());
    if (m) return m;
    if (run.child.exitCode !== null || Date.now() > end)
      throw new Error(
        `${run.child.exitCode === null ? "timed out" : "exited"} before ${re}:\n${run.output()}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Whether anything still accepts connections at a URL's port. */
async function listening(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

describe("an interrupted outage run", () => {
  it.each([
    // Ctrl-C in a terminal: SIGINT to the whole process group, the mock's and gateway's processes too.
    { signal: "SIGINT" as const, group: true, code: 130 },
    { signal: "SIGTERM" as const, group: false, code: 143 },
  ])(
    "$signal (to the group: $group) writes the partial report and exits $code",
    async ({ signal, group, code }) => {
      const report = join(dir, signal);
      const run = outage(report);
      const [, gateway, mock] = await until(
        run,
        /reference gateway (http:\/\/\S+) .* in front of mock (http:\/\/\S+)/,
        60_000,
      );
      // Into the second phase: provider-down at 60 s is healthy 0–3.2 s, alpha-down to 27.6 s, recovered.
      await until(run, /phase alpha-down/, 60_000);
      await new Promise((r) => setTimeout(r, 1_500));
      process.kill(group ? -run.child.pid! : run.child.pid!, signal);
      const exit = await Promise.race([
        run.exited,
        new Promise((r) => setTimeout(() => r("still running 20 s after the signal"), 20_000)),
      ]);
      expect(exit, run.output()).toBe(code);

      const r = JSON.parse(readFileSync(join(report, "outage.json"), "utf8")) as OutageResult;
      expect(r.interrupted?.signal).toBe(signal);
      expect(r.verdict.exitCode).toBe(code);
      expect(r.verdict.summary).toMatch(new RegExp(`^INTERRUPTED by ${signal}`));
      // The phases played: the healthy one whole, alpha-down cut at the signal; the recovery never came.
      expect(r.phases.map((p) => p.name)).toEqual(["healthy", "alpha-down"]);
      expect(r.scenario.phases).toHaveLength(3);
      const down = r.phases[1]!;
      expect(down.endS).toBeLessThan(27.6);
      expect(down.endS).toBeCloseTo(r.interrupted!.afterS, 0);
      expect(down.sent).toBeGreaterThan(5);
      // What was sent before the signal is judged as in any run: alpha down, beta answers.
      expect(down.conditions["upstream.failover"]).toBeGreaterThan(0);
      expect(r.checks.find((c) => c.id === "FO-001")?.outcome).toBe("pass");
      expect(r.checks.find((c) => c.id === "REC-001")?.outcome).toBe("inconclusive");
      const html = readFileSync(join(report, "outage.html"), "utf8");
      expect(html).toContain('id="verdict" class="verdict INTERRUPTED"');
      expect(existsSync(join(report, "outage.html"))).toBe(true);
      expect(run.output()).toMatch(/interrupted by .*: the partial report holds the phases played/);
      // Every process the run started has stopped: nothing answers at the gateway's or the mock's address.
      expect(await listening(`${gateway}/`)).toBe(false);
      expect(await listening(`${mock}/_faultline/health`)).toBe(false);
    },
    120_000,
  );
});
