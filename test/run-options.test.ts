import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runHarness } from "../scripts/cli/run.ts";
import type { RunResult } from "../suites/harness/runner.ts";
import { applyKnownFailing } from "../suites/known-failing.ts";

const dir = mkdtempSync(join(tmpdir(), "faultline-opts-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = { profile: "lumenfall", seed: 8, runs: 6, quiet: true } as const;

describe.concurrent("run options", () => {
  it("--known-failing tolerates a listed failure", async () => {
    const list = join(dir, "known.yaml");
    writeFileSync(list, "known_failing: [REJ-001]\n");
    const out = await runHarness({
      ...base,
      defect: ["auth_ignored"],
      knownFailing: list,
      report: join(dir, "known"),
    });
    const rej = out.result!.checks.find((c) => c.id === "REJ-001")!;
    expect(rej.outcome).toBe("fail");
    expect([rej.level, rej.reason]).toEqual(["info", "known failing (--known-failing)"]);
    expect(out.output).toContain("known failing, tolerated: REJ-001");
    expect(out.exitCode).toBe(0);
  });

  it("--known-failing answers a new result and leaves the run's own as it was", () => {
    const check = { id: "REJ-001", level: "must", outcome: "fail", reason: "401 expected" };
    const run = {
      checks: [check, { id: "ENV-001", level: "must", outcome: "pass" }],
    } as unknown as RunResult;
    const known = applyKnownFailing(run, ["REJ-001", "ENV-001"]);
    expect(known.tolerated).toEqual(["REJ-001"]);
    expect(known.stale).toEqual(["ENV-001"]);
    expect(known.result.checks[0]).toMatchObject({ level: "info", outcome: "fail" });
    expect(check).toEqual({ id: "REJ-001", level: "must", outcome: "fail", reason: "401 expected" });
    expect(() => applyKnownFailing(run, ["NOPE-1"])).toThrow(/unknown check id "NOPE-1"/);
  });

  it("--known-failing fails the run when a listed check passes (a stale list)", async () => {
    const list = join(dir, "stale.json");
    writeFileSync(list, JSON.stringify(["REJ-001"]));
    const out = await runHarness({ ...base, knownFailing: list, report: join(dir, "stale") });
    expect(out.output).toContain("known-failing list is stale: REJ-001");
    expect(out.exitCode).toBe(1);
  });

  it("--only runs the matching checks and reports the rest as not selected", async () => {
    const out = await runHarness({ ...base, only: ["ENV-*"], report: join(dir, "only") });
    const ran = out.result!.checks.filter((c) => c.outcome !== "not_selected").map((c) => c.id);
    expect(ran.length).toBeGreaterThan(0);
    expect(ran.every((id) => id.startsWith("ENV-"))).toBe(true);
    expect(out.result!.checks.find((c) => c.id === "FO-001")!.reason).toContain("not selected");
  });

  it("--skip leaves out a failing check, so the run passes", async () => {
    const out = await runHarness({
      ...base,
      defect: ["leak_key"],
      skip: ["LEAK-*"],
      report: join(dir, "skip"),
    });
    expect(out.result!.checks.find((c) => c.id === "LEAK-001")!.outcome).toBe("not_selected");
    expect(out.exitCode).toBe(0);
  });

  it("a should failure fails the run only with --strict", async () => {
    const lax = await runHarness({ ...base, defect: ["no_retry_after"], report: join(dir, "lax") });
    expect(lax.result!.checks.find((c) => c.id === "RA-001")!.outcome).toBe("fail");
    expect(lax.exitCode).toBe(0);
    const strict = await runHarness({
      ...base,
      defect: ["no_retry_after"],
      strict: true,
      report: join(dir, "strict"),
    });
    expect(strict.exitCode).toBe(1);
    expect(readFileSync(join(dir, "strict", "summary.md"), "utf8")).toContain(
      "| RA-001 | **fail** | should |",
    );
  });

  it("the same seed generates the same cases", async () => {
    const a = await runHarness({ ...base, defect: ["wrong_status"], report: join(dir, "seed-a") });
    const b = await runHarness({ ...base, defect: ["wrong_status"], report: join(dir, "seed-b") });
    const cases = (r: typeof a) =>
      r.result!.checks.find((c) => c.id === "ENV-003")!.violations.map((v) => v.case.request.body);
    expect(cases(a)).toEqual(cases(b));
  });
});
