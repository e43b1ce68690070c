// The outage run on Artillery, the load engine people already operate: Faultline writes the script and the
// processor, Artillery sends the traffic, Faultline judges it. Artillery is not a dependency (≈590 MB; its
// releases after 2.0.21 need Node 22): the local run is tested where it is installed (FAULTLINE_ARTILLERY or
// node_modules), and its absence must be a clear usage error.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runOutageCommand } from "../scripts/cli/outage.ts";
import { artilleryScript, findArtillery, processorSource } from "../suites/outage/artillery.ts";

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
