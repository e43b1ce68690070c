import { describe, expect, it } from "vitest";
import type { CheckResult, RunResult } from "../suites/harness/result.ts";
import { junit } from "../suites/report/files.ts";
import { junitErrors } from "./helpers/junit.ts";

// junit.xml is what a CI step publishes: it must satisfy the Jenkins xUnit junit-10 schema in every
// shape a run can end in, whatever bytes a gateway put in its answers.
function check(id: string, outcome: CheckResult["outcome"], extra: Partial<CheckResult> = {}): CheckResult {
  return {
    id,
    level: "must",
    title: `title of ${id}`,
    sentence: "a sentence",
    source: "a source",
    fix: "a fix",
    outcome,
    evaluated: outcome === "pass" || outcome === "fail" ? 3 : 0,
    inconclusive: 0,
    violations: [],
    reason: outcome === "pass" || outcome === "fail" ? undefined : `why ${outcome}`,
    ...extra,
  };
}

const hostile = 'bad \u0000 nul \u001b[31mred\u001b[0m \u0085 \u007f \ud800 <tag> & "quoted"';

const judged: RunResult = {
  seed: 1,
  durationMs: 1234,
  properties: [
    {
      id: "p.ok",
      suite: "s",
      title: "t",
      seed: 1,
      requested: 5,
      executed: 5,
      inconclusive: 0,
      status: "passed",
      durationMs: 10,
    },
    {
      id: "p.err",
      suite: "s",
      title: "t",
      seed: 1,
      requested: 5,
      executed: 1,
      inconclusive: 0,
      status: "error",
      reason: hostile,
      durationMs: 10,
    },
    {
      id: "p.inc",
      suite: "s",
      title: "t",
      seed: 1,
      requested: 25,
      executed: 2,
      inconclusive: 0,
      status: "incomplete",
      reason: "budget",
      durationMs: 10,
    },
  ],
  checks: [
    check("A-001", "pass"),
    check("A-002", "fail", {
      violations: [
        {
          checkId: "A-002",
          property: "p.err",
          expected: "an envelope",
          received: hostile,
          case: {
            property: "p.err",
            condition: "auth.missing",
            request: { method: "POST", path: "/", headers: {} },
          },
          exchange: { url: "http://x/", headers: {}, raw: hostile, elapsedMs: 1, timedOut: false },
          journal: [],
          seed: 1,
          shrunk: false,
        },
      ],
    }),
    check("A-003", "not_exercised"),
    check("A-004", "not_declared"),
    check("A-005", "inconclusive"),
    check("A-006", "not_selected"),
  ],
};

describe("junit.xml", () => {
  it("validates for a run with every outcome, property errors and hostile bytes", async () => {
    const xml = junit(judged, "lumenfall");
    expect(await junitErrors(xml)).toEqual([]);
    expect(xml).toContain('<testsuites name="faultline" tests="8" failures="1" errors="2" time="1.234">');
    expect(xml).toMatch(/<testsuite [^>]*skipped="4"/);
    expect(xml).toContain('<skipped message="inconclusive: why inconclusive"/>');
    expect(xml).toContain('<skipped message="not exercised: why not_exercised"/>');
    expect(xml).toContain("\\u001b[31mred");
    expect(xml).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });

  it("validates for a setup error and for a run stopped early", async () => {
    const setup = junit(
      {
        seed: 1,
        durationMs: 5,
        properties: [],
        checks: [],
        setup: [{ id: "setup.path", message: "404", fix: "--chat-path" }],
      },
      "lumenfall",
    );
    expect(await junitErrors(setup)).toEqual([]);
    expect(setup).toContain('errors="1"');
    expect(setup).toContain('<error message="404">Fix: --chat-path</error>');
    const stopped = junit({ ...judged, stopped: { reason: "interrupted by SIGINT" } }, "lumenfall");
    expect(await junitErrors(stopped)).toEqual([]);
    expect(stopped).toContain('name="run stopped early"');
  });

  it("the schema refuses what junit.xml used to be: skipped on testsuites, no errors", async () => {
    const old = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="faultline" tests="1" failures="0" skipped="0" time="1">
  <testsuite name="x" tests="1" failures="0" skipped="0"><testcase name="a"/></testsuite>
</testsuites>`;
    const errors = await junitErrors(old);
    expect(errors.join("\n")).toMatch(/skipped/);
    expect(errors.join("\n")).toMatch(/errors/);
  });
});
