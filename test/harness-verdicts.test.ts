import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { loadProfile } from "../core/profile/load.ts";
import { startBuiltin } from "../node/builtin.ts";
import { runHarness } from "../scripts/cli/run.ts";
import { allChecks } from "../suites/checks/index.ts";
import type { RunContext } from "../suites/harness/context.ts";
import { prepareTarget } from "../suites/harness/prepare.ts";
import type { Suite } from "../suites/harness/property.ts";
import type { CheckResult, PropertyOutcome, RunResult } from "../suites/harness/result.ts";
import { runSuites } from "../suites/harness/runner.ts";
import type { CaseSpec } from "../suites/harness/types.ts";
import { SUITES } from "../suites/index.ts";
import { verdictOf } from "../suites/report/verdict.ts";

// Every green is earned: what a check did not judge is said, with the true reason, and never passes.
const dir = mkdtempSync(join(tmpdir(), "faultline-verdicts-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function check(
  id: string,
  outcome: CheckResult["outcome"],
  level: CheckResult["level"] = "must",
): CheckResult {
  return {
    id,
    level,
    title: id,
    sentence: "",
    source: "",
    fix: "",
    outcome,
    evaluated: 0,
    inconclusive: 0,
    violations: [],
  };
}
function prop(status: PropertyOutcome["status"], executed = 25): PropertyOutcome {
  return {
    id: "p",
    suite: "s",
    title: "p",
    seed: 1,
    requested: 25,
    executed,
    inconclusive: 0,
    status,
    durationMs: 1,
  };
}
const run = (checks: CheckResult[], properties: PropertyOutcome[] = [prop("passed")]): RunResult => ({
  seed: 1,
  checks,
  properties,
  durationMs: 1,
});

describe("verdictOf", () => {
  it("a run that judged nothing exits 2, not 0", () => {
    const v = verdictOf(run([check("A", "not_exercised"), check("B", "not_selected")]), false);
    expect(v.exitCode).toBe(2);
    expect(v.summary).toMatch(/^NOTHING JUDGED: no check passed or failed/);
  });
  it("an incomplete property fails the run even when every check passed", () => {
    const v = verdictOf(run([check("A", "pass")], [prop("incomplete", 2)]), false);
    expect(v.exitCode).toBe(1);
    expect(v.summary).toContain("incomplete: p (2 of 25)");
  });
  it("--strict also fails on a must check that was not exercised or ended inconclusive; should ones only fail when they fail", () => {
    const r = run([
      check("A", "pass"),
      check("B", "not_exercised"),
      check("C", "inconclusive"),
      check("D", "not_exercised", "should"),
    ]);
    expect(verdictOf(r, false).exitCode).toBe(0);
    const strict = verdictOf(r, true);
    expect(strict.exitCode).toBe(1);
    expect(strict.unjudged).toEqual(["B not exercised", "C inconclusive"]);
  });
  it("a setup problem exits 2 whatever the checks say", () => {
    const r = { ...run([check("A", "pass")]), setup: [{ id: "setup.x", message: "broken", fix: "fix it" }] };
    expect(verdictOf(r, false)).toMatchObject({ exitCode: 2, summary: "SETUP ERROR: broken — fix it" });
  });
  it("not declared and not selected never count as passed", () => {
    const v = verdictOf(
      run([check("A", "pass"), check("B", "not_declared"), check("C", "not_selected")]),
      true,
    );
    expect(v.summary).toMatch(/^PASSED: 1 passed, 0 failed .* 1 not declared, 1 not selected/);
  });
});

describe.concurrent("the runner's outcomes", () => {
  it("a not-exercised reason comes from the properties that list the check, never from unrelated suites", async () => {
    const profile = loadProfile("lumenfall");
    const b = await startBuiltin(profile);
    try {
      const { target } = await prepareTarget({ ...b.target, mock: undefined }, profile);
      const ctx: RunContext = { profile, target, seed: 3, runs: 3, harnessDeadlineMs: 7_000, providers: [] };
      const r = await runSuites(SUITES, ctx, { checks: allChecks() });
      const fo = r.checks.find((c) => c.id === "FO-001")!;
      expect(fo.outcome).toBe("not_exercised");
      expect(fo.reason).toBe(
        "upstream.failover: skipped (no mock URL given (--mock): upstream properties need the mock)",
      );
      const str = r.checks.find((c) => c.id === "STR-003")!;
      expect(str.reason).toMatch(/^streams\.failover, streams\.break(, [a-z_.]+)*: skipped \(no mock URL/);
      expect(str.reason).not.toMatch(/idempotency|tasks|fixture/);
      expect(r.checks.find((c) => c.id === "IDEM-001")!.outcome).toBe("not_declared");
      expect(r.checks.find((c) => c.id === "REJ-001")!.outcome).toBe("pass");
    } finally {
      await b.close();
    }
  });

  it("a harness error is captured as the property's error, by structure, with its message", async () => {
    const profile = loadProfile("lumenfall");
    const b = await startBuiltin(profile);
    try {
      const ctx: RunContext = {
        profile,
        target: b.target,
        seed: 3,
        runs: 3,
        harnessDeadlineMs: 7_000,
        providers: [],
      };
      const broken: Suite = {
        id: "broken",
        title: "a property whose cases need a mock it was not given",
        properties: [
          {
            id: "broken.plan",
            suite: "broken",
            title: "plans without a mock",
            needsMock: false,
            checks: ["TRN-001"],
            arbitrary: () =>
              fc.constant<CaseSpec>({
                property: "broken.plan",
                condition: "upstream.failover",
                request: { method: "GET", path: "/", headers: {} },
                plan: { providers: { alpha: ["ok"] } },
              }),
          },
        ],
      };
      const r = await runSuites([broken], ctx, { checks: allChecks() });
      expect(r.properties[0]).toMatchObject({
        status: "error",
        reason: "this case needs the mock (--mock URL)",
        executed: 0,
      });
      expect(verdictOf(r, false).exitCode).toBe(2);
    } finally {
      await b.close();
    }
  });

  it("a property stopped by its time budget is incomplete (k of n), never passed, and fails the run", async () => {
    const out = await runHarness(
      {
        profile: "lumenfall",
        seed: 4,
        quiet: true,
        only: ["DL-001", "TRN-001"],
        propertyBudgetMs: 400,
        report: join(dir, "budget"),
      },
      {},
    );
    const p = out.result!.properties.find((x) => x.id === "upstream.deadline")!;
    expect(p.status, out.output).toBe("incomplete");
    expect(p.executed).toBeLessThan(p.requested);
    // Its 2 random cases and the coverage phase's before them.
    expect(p.requested).toBe(2 + (p.coverageCases ?? 0));
    expect(p.reason).toMatch(
      new RegExp(
        `stopped by its time budget \\(400 ms, --property-budget-ms\\) after \\d+ of ${p.requested} cases`,
      ),
    );
    expect(out.exitCode).toBe(1);
    expect(JSON.parse(readFileSync(join(dir, "budget", "report.json"), "utf8")).properties).toContainEqual(
      expect.objectContaining({ id: "upstream.deadline", status: "incomplete", requested: p.requested }),
    );
  });

  it("no masking: a gateway that hangs forever AND drops the connection when every provider fails fast shows both", async () => {
    const out = await runHarness(
      {
        profile: "lumenfall",
        seed: 5,
        runs: 6,
        quiet: true,
        defect: ["no_deadline", "exhaustion_no_answer"],
        only: ["DL-001", "EXH-001"],
        propertyBudgetMs: 30_000,
        report: join(dir, "two-defects"),
      },
      {},
    );
    const byId = (id: string) => out.result!.checks.find((c) => c.id === id)!;
    expect(byId("DL-001").outcome, out.output).toBe("fail");
    expect(byId("EXH-001").outcome, out.output).toBe("fail");
    expect(byId("EXH-001").violations.map((v) => v.property)).toContain("upstream.exhausted");
    expect(out.exitCode).toBe(1);
  }, 120_000);

  it("no masking: every case is judged by every check after another check failed (EXH-001 and a dropped Retry-After)", async () => {
    const out = await runHarness(
      {
        profile: "meta-envelope",
        seed: 6,
        runs: 12,
        quiet: true,
        defect: ["upstream_auth_as_401", "no_retry_after"],
        report: join(dir, "exh-ra"),
      },
      {},
    );
    const byId = (id: string) => out.result!.checks.find((c) => c.id === id)!;
    expect(byId("EXH-001").outcome, out.output).toBe("fail");
    expect(byId("RA-001").outcome, out.output).toBe("fail");
    // The exhaustion property failed on EXH-001 and still ran every case, whose 503s RA-001 judged.
    const exhausted = out.result!.properties.find((p) => p.id === "upstream.exhausted")!;
    expect(exhausted.status).toBe("failed");
    expect(exhausted.executed).toBe(exhausted.requested);
    expect(byId("RA-001").violations.map((v) => v.property)).toContain("upstream.exhausted");
  }, 120_000);

  it("--between-cases runs before every upstream case; a hook that fails is a setup error (exit 2)", async () => {
    const log = join(dir, "hook.log");
    const ok = await runHarness(
      {
        profile: "lumenfall",
        seed: 2,
        runs: 3,
        quiet: true,
        only: ["FO-001"],
        betweenCases: `echo x >> '${log}'`,
        report: join(dir, "hook-ok"),
      },
      {},
    );
    expect(ok.exitCode, ok.output).toBe(0);
    const calls = readFileSync(log, "utf8").trim().split("\n").length;
    expect(calls).toBeGreaterThanOrEqual(3);
    const bad = await runHarness(
      {
        profile: "lumenfall",
        seed: 2,
        runs: 3,
        quiet: true,
        only: ["FO-001"],
        betweenCases: "echo no reset >&2; exit 3",
        report: join(dir, "hook-bad"),
      },
      {},
    );
    expect(bad.exitCode, bad.output).toBe(2);
    expect(bad.result!.setup![0]).toMatchObject({ id: "setup.between_cases" });
    expect(bad.result!.setup![0]!.message).toContain("exited 3 (stderr: no reset)");
  });
});
