// The outage run on Artillery, the load engine people already operate: Faultline writes the script and the
// processor, Artillery sends the traffic, Faultline judges it. Artillery is not a dependency (≈590 MB; its
// releases after 2.0.21 need Node 22): the local run is tested where it is installed (FAULTLINE_ARTILLERY or
// node_modules), and its absence must be a clear usage error.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runOutageCommand } from "../scripts/cli/outage.ts";
import {
  ARTILLERY_INSTALL,
  artilleryScript,
  findArtillery,
  processorSource,
} from "../suites/outage/artillery.ts";

const dir = mkdtempSync(join(tmpdir(), "faultline-outage-artillery-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const quick = join(dir, "quick.yaml");
writeFileSync(quick, "extends: lumenfall\nname: quick-recovery\nrecoveryS: 3\n");

const artillery = findArtillery(process.env);
if (!artillery)
  console.log(
    "outage-artillery: Artillery is not installed (set FAULTLINE_ARTILLERY or install artillery@2.0.21): the local Artillery run is skipped",
  );

describe("the Artillery engine", () => {
  it("writes an open-loop script at the run's rate and a processor that needs only Node", () => {
    const script = parse(artilleryScript("http://127.0.0.1:8080", 25, 12));
    expect(script.config).toMatchObject({
      target: "http://127.0.0.1:8080",
      phases: [{ duration: 12, arrivalRate: 25 }],
      processor: "./faultline-processor.cjs",
    });
    expect(script.scenarios[0].flow).toEqual([{ function: "faultlineRequest" }]);
    const src = processorSource();
    expect(src).toContain("module.exports = { faultlineRequest }");
    expect(src).not.toMatch(/require\("(?!node:)/); // nothing to install on a worker
  });

  it("names the fix when Artillery is missing (exit 2)", async () => {
    await expect(
      runOutageCommand(
        {
          scenario: "429-storm",
          profile: "lumenfall",
          rate: 5,
          duration: 2,
          engine: "artillery",
          report: join(dir, "none"),
          quiet: true,
        },
        { FAULTLINE_ARTILLERY: join(dir, "no-artillery-here") },
      ),
    ).rejects.toThrow(
      /Artillery is not installed here; install it with `PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --save-dev artillery@2\.0\.21`/,
    );
  });

  it("docs/outage.md installs Artillery with the command the missing-Artillery error names", () => {
    const page = readFileSync(join(import.meta.dirname, "../docs/outage.md"), "utf8");
    expect(page).toContain(`\n${ARTILLERY_INSTALL}`);
  });

  it("hands a distributed runner (docs/outage.md's run-fargate command) its script, settings and collector address", async () => {
    // A stand-in for `artillery`: it records what Faultline gave it, as Artillery would receive it.
    const seen = join(dir, "seen");
    const fake = join(dir, "fake-artillery");
    writeFileSync(
      fake,
      `#!/bin/sh\nprintf '%s\\n' "$@" > ${seen}.args\nprev=\nfor a in "$@"; do\n  if [ "$prev" = --dotenv ]; then cp "$a" ${seen}.env; stat -c %a "$a" > ${seen}.mode; fi\n  prev=$a\ndone\n`,
    );
    chmodSync(fake, 0o755);
    const report = join(dir, "fargate");
    const out = await runOutageCommand(
      {
        scenario: "brownout",
        profile: "lumenfall",
        rate: 500,
        duration: 60,
        engine: "artillery",
        artilleryArgs: "run-fargate --region eu-west-1 --count 10",
        collectorHost: "127.0.0.1",
        collectorUrl: "http://203.0.113.7:8099",
        report,
        quiet: true,
      },
      { FAULTLINE_ARTILLERY: fake },
    );
    // The stand-in sends nothing: nothing judged.
    expect(out.exitCode, out.output).toBe(2);
    const args = readFileSync(`${seen}.args`, "utf8").trim().split("\n");
    expect(args.slice(0, 5)).toEqual(["run-fargate", "--region", "eu-west-1", "--count", "10"]);
    expect(args[5]).toBe(join(report, "artillery", "outage.yml"));
    expect(args.slice(6, 8)).toEqual(["--dotenv", join(report, "artillery", "faultline.env")]);
    // The workers' settings: the collector at the address they reach, the client key only in the dotenv
    // file (mode 0600), which is gone once the run ends.
    const env = readFileSync(`${seen}.env`, "utf8");
    expect(env).toMatch(/^FAULTLINE_COLLECTOR="http:\/\/203\.0\.113\.7:8099\/[0-9a-f]+"$/m);
    expect(env).toContain("FAULTLINE_OUTAGE_TEMPLATE=");
    expect(readFileSync(`${seen}.mode`, "utf8").trim()).toBe("600");
    expect(existsSync(join(report, "artillery", "faultline.env"))).toBe(false);
    const script = parse(readFileSync(join(report, "artillery", "outage.yml"), "utf8"));
    expect(script.config.phases[0].arrivalRate).toBe(500);
  }, 120_000);

  it.skipIf(!artillery)(
    "drives a whole outage run locally; every request is judged like the built-in engine's",
    async () => {
      const report = join(dir, "run");
      const out = await runOutageCommand(
        {
          scenario: "429-storm",
          profile: quick,
          rate: 10,
          duration: 8,
          seed: 2,
          engine: "artillery",
          report,
          quiet: true,
        },
        { ...process.env, FAULTLINE_ARTILLERY: artillery },
      );
      expect(out.exitCode, out.output).toBe(0);
      const r = JSON.parse(readFileSync(join(report, "outage.json"), "utf8"));
      expect(r.engine.engine).toBe("artillery");
      const sent = r.phases.reduce((a: number, p: { sent: number }) => a + p.sent, 0);
      expect(sent).toBeGreaterThan(50);
      expect(r.phases[0].conditions["upstream.exhausted"]).toBeGreaterThan(5);
      expect(r.checks.find((c: { id: string }) => c.id === "EXH-001").outcome).toBe("pass");
      expect(r.checks.find((c: { id: string }) => c.id === "REC-001").outcome).toBe("pass");
      expect(readFileSync(join(report, "artillery", "outage.yml"), "utf8")).not.toContain("fl-test-key");
    },
    240_000,
  );
});
