import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MUTATIONS } from "../mocks/gateway/index.ts";
import { replayCase } from "../scripts/cli/replay.ts";
import { runHarness } from "../scripts/cli/run.ts";

const dir = mkdtempSync(join(tmpdir(), "faultline-mut-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Each one-defect gateway must fail `faultline run` (strict, so should-level checks count too) by the
// check that names its defect. A mutation that survives means a check that cannot fail.
describe.concurrent("one-defect gateways are caught by the check that names their defect", () => {
  for (const m of MUTATIONS) {
    it(`${m.id} → ${m.expectedCheck}`, async () => {
      const report = join(dir, m.id);
      const out = await runHarness({
        profile: "lumenfall",
        defect: [m.id],
        seed: 5,
        runs: 12,
        quiet: true,
        strict: true,
        report,
        propertyBudgetMs: 15_000,
      });
      const failed = out.result!.checks.filter((c) => c.outcome === "fail").map((c) => c.id);
      expect(failed, `${m.summary}\n${out.output}`).toContain(m.expectedCheck);
      expect(out.exitCode).toBe(1);
      const json = readFileSync(join(report, "report.json"), "utf8");
      expect(json).not.toContain("fl-test-key");
    });
  }
});

describe("a violation replays from its case file", () => {
  it("says STILL FAILING against the defect and FIXED against the reference gateway", async () => {
    const report = join(dir, "replay");
    await runHarness({
      profile: "lumenfall",
      defect: ["content_policy_failover"],
      seed: 3,
      runs: 5,
      quiet: true,
      report,
      only: ["UPS-002"],
    });
    const file = join(report, "cases", readdirSync(join(report, "cases"))[0]!);
    const caseFile = JSON.parse(readFileSync(file, "utf8"));
    expect(caseFile.checkId).toBe("UPS-002");
    expect(JSON.stringify(caseFile)).toContain("{{apiKey}}");
    const still = await replayCase(file, { defect: ["content_policy_failover"] }, {});
    expect(still.output).toContain("STILL FAILING");
    expect(still.fixed).toBe(false);
    const fixed = await replayCase(file, {}, {});
    expect(fixed.output).toContain("FIXED");
    expect(fixed.fixed).toBe(true);
  });
});
