import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MUTATIONS } from "../gateway/index.ts";
import { replayCase } from "../scripts/cli/replay.ts";
import { runHarness } from "../scripts/cli/run.ts";
import { runMutant } from "../scripts/mutation.ts";
import { allChecks } from "../suites/checks/index.ts";

const dir = mkdtempSync(join(tmpdir(), "faultline-mut-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Each one-defect gateway must fail a strict `faultline run` by the check that names its defect.
// A mutation that survives means a check that cannot fail.
describe.concurrent("the mutation catalogue: every one-defect gateway is caught by its check", () => {
  it("has at least 25 mutants across every family and profile", () => {
    expect(MUTATIONS.length).toBeGreaterThanOrEqual(25);
    const profiles = new Set(MUTATIONS.map((m) => m.profile ?? "lumenfall"));
    expect([...profiles].sort()).toEqual([
      "data-envelope",
      "lemondata",
      "llmapi",
      "lumenfall",
      "meta-envelope",
    ]);
  });
  it("proves every registered check: each is the expected catch of at least one mutant", () => {
    const proven = new Set(MUTATIONS.map((m) => m.expectedCheck));
    expect(
      allChecks()
        .filter((c) => !proven.has(c.id))
        .map((c) => c.id),
    ).toEqual([]);
  });
  for (const m of MUTATIONS) {
    it(`${m.profile ?? "lumenfall"} ${m.id} → ${m.expectedCheck}`, async () => {
      const report = join(dir, m.id);
      const r = await runMutant(m, 5, report, [m.expectedCheck]);
      expect(r.failed, `${m.summary}\n${r.outcome.output}`).toContain(m.expectedCheck);
      expect(r.outcome.exitCode).toBe(1);
      expect(readFileSync(join(report, "report.json"), "utf8")).not.toContain("fl-test-key");
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
