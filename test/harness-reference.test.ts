import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runHarness } from "../scripts/cli/run.ts";

const dir = mkdtempSync(join(tmpdir(), "faultline-ref-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the reference gateway keeps the lumenfall contract", () => {
  it("passes every must and should check, and writes the reports", async () => {
    const out = await runHarness({
      profile: "lumenfall",
      seed: 11,
      runs: 20,
      quiet: true,
      report: dir,
      strict: true,
    });
    const failed = out.result!.checks.filter((c) => c.outcome === "fail").map((c) => c.id);
    expect(failed, out.output).toEqual([]);
    expect(out.exitCode).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, "report.json"), "utf8"));
    expect(report.verdict.exitCode).toBe(0);
    expect(report.checks.length).toBeGreaterThan(15);
    expect(readFileSync(join(dir, "junit.xml"), "utf8")).toContain("<testsuites");
    expect(readFileSync(join(dir, "summary.md"), "utf8")).toContain("| check | outcome | level |");
    // The target's key never reaches a report.
    expect(readFileSync(join(dir, "report.json"), "utf8")).not.toContain("fl-test-key");
  });
});
