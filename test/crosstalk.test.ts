// Every answer traced to its attempt (docs/contract.md §20, §21): the concurrency property against the
// reference gateway, and the two one-defect gateways it exists to catch.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MUTATIONS } from "../gateway/index.ts";
import { runHarness } from "../scripts/cli/run.ts";
import { runMutant } from "../scripts/mutation.ts";

const dir = mkdtempSync(join(tmpdir(), "faultline-xtalk-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CHECKS = ["XTALK-001", "USE-001"];

describe.concurrent("many requests in flight, each with its own plan", () => {
  for (const profile of ["lumenfall", "lemondata"]) {
    it(`${profile}: the reference gateway answers each request with its own completion, intact`, async () => {
      const report = join(dir, `ref-${profile}`);
      const out = await runHarness({
        profile,
        seed: 7,
        runs: 3,
        quiet: true,
        strict: true,
        report,
        only: CHECKS,
      });
      const outcomes = Object.fromEntries(
        out.result!.checks.filter((c) => CHECKS.includes(c.id)).map((c) => [c.id, c.outcome]),
      );
      expect(outcomes, out.output).toEqual({ "XTALK-001": "pass", "USE-001": "pass" });
      expect(out.exitCode, out.output).toBe(0);
      const json = JSON.parse(readFileSync(join(report, "report.json"), "utf8"));
      expect(JSON.stringify(json.properties)).toContain("resilience.in_flight");
    }, 120_000);
  }

  for (const id of ["shared_answer", "usage_inflated"]) {
    it(`the mutant ${id} fails its check`, async () => {
      const m = MUTATIONS.find((x) => x.id === id)!;
      expect(m, `${id} is in the catalogue`).toBeDefined();
      const r = await runMutant(m, 5, join(dir, id), [m.expectedCheck]);
      expect(r.failed, `${m.summary}\n${r.outcome.output}`).toContain(m.expectedCheck);
      expect(r.outcome.exitCode).toBe(1);
    }, 120_000);
  }
});
