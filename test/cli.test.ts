import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type Ran, runChild } from "./helpers/child.ts";
import { junitErrors } from "./helpers/junit.ts";
import { close, echoingGateway, hostileGateway, listen } from "./helpers/tiny-gateways.ts";

const dir = mkdtempSync(join(tmpdir(), "faultline-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the real CLI, as a user would, with a hard deadline of its own. */
function cli(args: string[], timeoutMs = 60_000, env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return runChild(process.execPath, ["bin/faultline.mjs", ...args], {
    env: { PATH: process.env.PATH, ...env },
    timeoutMs,
  });
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
    const report = join(dir, "down");
    const r = await cli([
      "run",
      "--gateway",
      url,
      "--api-key",
      "k",
      "--model",
      "m",
      "--deadline-ms",
      "2000",
      "--report",
      report,
    ]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("is not reachable");
    expect(r.stdout).toContain("SETUP ERROR");
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
    // A CI step still gets a report to publish, with the reason.
    const written = JSON.parse(readFileSync(join(report, "report.json"), "utf8"));
    expect(written.setup[0].id).toBe("setup.gateway_down");
    expect(readFileSync(join(report, "junit.xml"), "utf8")).toContain('errors="1"');
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
        "--report",
        join(dir, "hangs"),
      ]);
      expect(r.code).toBe(2);
      expect(r.stdout).toContain("did not answer a clean request within 3500 ms");
      // Well inside the test's own 60 s limit: the run gave up at its deadline, not at ours (a loaded machine
      // takes several seconds just to start the CLI).
      expect(r.ms).toBeLessThan(45_000);
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

  it("refuses a profile, config or known-failing list nested 10,000 deep with exit 2, naming the file, before parsing it", async () => {
    const deep = join(dir, "deep.yaml");
    writeFileSync(deep, `${"- ".repeat(10_000)}x\n`);
    const profile = await cli(["run", "--profile", deep]);
    expect(profile.code).toBe(2);
    expect(profile.stderr).toContain(`profile ${deep}`);
    expect(profile.stderr).toContain("nested deeper than 64 levels of sequences and mappings");
    const config = await cli(["run", "--config", deep]);
    expect(config.code).toBe(2);
    expect(config.stderr).toContain(`--config ${deep}: not valid YAML or JSON: nested deeper than 64 levels`);
    // Read before anything starts: a bad list costs no gateway start and no preflight.
    const known = await cli(["run", "--known-failing", deep]);
    expect(known.code).toBe(2);
    expect(known.stderr).toContain(`--known-failing ${deep}: not YAML/JSON: nested deeper than 64 levels`);
    expect(known.stdout + known.stderr).not.toContain("built-in reference gateway");
    for (const r of [profile, config, known]) expect(r.stdout + r.stderr).not.toMatch(/\n\s+at |FATAL/);
  });

  it("refuses more secrets than maxSecrets from --secret and FAULTLINE_SECRETS with exit 2, before listening", async () => {
    const many = Array.from({ length: 33 }, (_, i) => `secret-${String(i).padStart(4, "0")}`);
    const r = await cli(["mock", "--port", "0", "--secret", many[0]!, "--secret", many[1]!], 60_000, {
      FAULTLINE_SECRETS: many.slice(2).join(","),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "--secret and FAULTLINE_SECRETS: the journal would redact 33 secrets, over the limit of 32 (maxSecrets)",
    );
    expect(r.stdout).not.toContain("control  http");
  });

  it("refuses --only that selects no check, listing close matches and valid prefixes", async () => {
    const r = await cli(["run", "--only", "NOPE-*"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--only 'NOPE-*' matches no check");
    expect(r.stderr).toContain("valid id prefixes: ");
    expect(r.stderr).toContain("ENV-*");
    const typo = await cli(["run", "--only", "ENV-01"]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/close matches: .*ENV-001/);
  });

  it("refuses an empty --gateway and an empty FAULTLINE_GATEWAY instead of running the built-in gateway", async () => {
    const flag = await cli(["run", "--gateway", ""]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("--gateway: expected the gateway's URL, saw an empty string");
    expect(flag.stdout).not.toContain("built-in");
    const variable = await cli(["run"], 60_000, { FAULTLINE_GATEWAY: "" });
    expect(variable.code).toBe(2);
    expect(variable.stderr).toContain("FAULTLINE_GATEWAY is set but empty");
  });

  it("escapes hostile bytes from a gateway's body on the console, in summary.md and in a valid junit.xml", async () => {
    const server = hostileGateway();
    const url = await listen(server);
    const report = join(dir, "hostile");
    try {
      const r = await cli([
        "run",
        "--gateway",
        url,
        "--api-key",
        "fl-hostile-key",
        "--model",
        "m",
        "--runs",
        "3",
        "--only",
        "ENV-001,SRV-001",
        "--report",
        report,
      ]);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stdout).toContain("FAIL ENV-001");
      expect(r.stdout).toContain("\\u001b[31mred");
      const raw = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/;
      expect(r.stdout).not.toMatch(raw);
      const summary = readFileSync(join(report, "summary.md"), "utf8");
      expect(summary).toContain("\\u0000 nul");
      expect(summary).not.toMatch(raw);
      expect(await junitErrors(readFileSync(join(report, "junit.xml"), "utf8"))).toEqual([]);
      expect(() => JSON.parse(readFileSync(join(report, "report.json"), "utf8"))).not.toThrow();
    } finally {
      await close(server);
    }
  }, 120_000);

  it("never prints a key the gateway echoes back in its error bodies", async () => {
    const server = echoingGateway();
    const url = await listen(server);
    const key = "sk-live-echoed-0123456789";
    try {
      const r = await cli([
        "run",
        "--gateway",
        url,
        "--api-key",
        key,
        "--model",
        "m",
        "--runs",
        "3",
        "--only",
        "ENV-001,REJ-*",
        "--report",
        join(dir, "echo"),
      ]);
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stdout).toContain("FAIL ENV-001");
      expect(r.stdout).toContain("[redacted sha256:");
      expect(r.stdout + r.stderr).not.toContain(key);
      expect(r.stdout).not.toContain(Buffer.from(`user:${key}`).toString("base64"));
      for (const f of ["report.json", "summary.md", "junit.xml"])
        expect(readFileSync(join(dir, "echo", f), "utf8")).not.toContain(key);
    } finally {
      await close(server);
    }
  }, 120_000);

  it("passes the reference gateway with no flags (npm start)", async () => {
    const r = await cli(["run", "--seed", "2", "--runs", "8", "--report", join(dir, "ok")]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/PASSED: \d+ passed, 0 failed/);
  });
});
