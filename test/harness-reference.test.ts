import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { builtinProfiles } from "../core/profile/load.ts";
import { runHarness } from "../scripts/cli/run.ts";

const dir = mkdtempSync(join(tmpdir(), "faultline-ref-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the reference gateway keeps every built-in profile's contract", () => {
  it("ships the five seed profiles", () => {
    expect(builtinProfiles()).toEqual(
      expect.arrayContaining(["lumenfall", "lemondata", "meta-envelope", "data-envelope", "llmapi"]),
    );
  });

  for (const profile of builtinProfiles()) {
    it(`${profile}: zero must and zero should failures, reports written, no key in them`, async () => {
      const report = join(dir, profile);
      const out = await runHarness({ profile, seed: 11, runs: 15, quiet: true, report, strict: true });
      const failed = out.result!.checks.filter((c) => c.outcome === "fail").map((c) => c.id);
      expect(failed, out.output).toEqual([]);
      expect(
        out.result!.properties.filter((p) => p.status === "error"),
        out.output,
      ).toEqual([]);
      expect(out.exitCode).toBe(0);
      const json = readFileSync(join(report, "report.json"), "utf8");
      expect(JSON.parse(json).verdict.exitCode).toBe(0);
      expect(json).not.toContain("fl-test-key");
      expect(readFileSync(join(report, "junit.xml"), "utf8")).toContain("<testsuites");
      expect(readFileSync(join(report, "summary.md"), "utf8")).toContain("| check | outcome | level |");
      // Every step of the mock reached the gateway (the coverage phase), and the matrix says so.
      expect(out.output).toMatch(/coverage: (\d+) of \1 mock steps reached/);
      // One profile at a time: each run already sends four upstream properties at once, and seven of them in
      // one process would starve the shared event loop.
    }, 180_000);
  }
});
