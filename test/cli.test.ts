import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "faultline-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the real CLI, as a user would, with a hard deadline of its own. */
function cli(args: string[], timeoutMs = 60_000, env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["bin/faultline.mjs", ...args], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe.concurrent("faultline CLI", () => {
  it("rejects a bad flag with exit code 2 and names the flag", async () => {
    const r = await cli(["run", "--runs", "many"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--runs expected an integer");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("refuses to bind the mock beyond loopback without a control token", async () => {
    const r = await cli(["mock", "--host", "0.0.0.0", "--port", "0"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--control-token");
  });

  it("rejects an unknown profile and lists the built-in ones", async () => {
    const r = await cli(["run", "--profile", "nope"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown profile "nope"');
    expect(r.stderr).toContain("lumenfall");
  });

  it("rejects an invalid profile file naming the field, what was expected and what was seen", async () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "extends: lumenfall\ncatalogue:\n  RATE_LIMITED: { status: 'soon', source: x }\n");
    const r = await cli(["run", "--profile", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("profile.catalogue.RATE_LIMITED.status");
  });

  it("rejects an unknown defect and lists the valid ones", async () => {
    const r = await cli(["run", "--defect", "bogus"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("bogus");
    expect(r.stderr).toContain("exhaustion_200");
  });

  it("reports a gateway that is down within its deadline, without a stack trace", async () => {
    const server = createServer();
    const url = await listen(server);
    await new Promise<void>((r) => server.close(() => r()));
    const r = await cli(["run", "--gateway", url, "--api-key", "k", "--model", "m", "--deadline-ms", "2000"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("is not reachable");
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
  });

  it("reports a gateway that hangs within its deadline, without a stack trace", async () => {
    const server = createServer(() => {
      // never answers
    });
    const url = await listen(server);
    try {
      const r = await cli([
        "run",
        "--gateway",
        url,
        "--api-key",
        "k",
        "--model",
        "m",
        "--deadline-ms",
        "1500",
      ]);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain("did not answer within 1500 ms");
      expect(r.ms).toBeLessThan(20_000);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((res) => server.close(() => res()));
    }
  });

  it("fails a one-defect gateway with exit code 1 and names the check", async () => {
    const report = join(dir, "defect");
    const r = await cli([
      "run",
      "--defect",
      "malformed_json_500",
      "--seed",
      "9",
      "--runs",
      "8",
      "--report",
      report,
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("FAIL SRV-001");
    expect(r.stdout).toContain("Reproduce with:");
    expect(r.stdout).toContain("curl -sS -i");
    expect(r.stdout).toContain("$FAULTLINE_API_KEY");
    expect(r.stdout).not.toContain("fl-test-key");
  });

  it("passes the reference gateway with no flags (npm start)", async () => {
    const r = await cli(["run", "--seed", "2", "--runs", "8", "--report", join(dir, "ok")]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/PASSED: \d+ passed, 0 failed/);
  });
});
