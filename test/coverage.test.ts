import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { loadProfile } from "../core/profile/load.ts";
import { registerStep, stepIds } from "../mocks/steps.ts";
import { runHarness } from "../scripts/cli/run.ts";
import type { RunContext } from "../suites/harness/context.ts";
import { coverageCases, PROPERTY_OF, uncoveredSteps } from "../suites/harness/coverage.ts";
import { type CoverageMatrix, stepSummary } from "../suites/harness/coverage-matrix.ts";
import { chatRequest } from "../suites/harness/requests.ts";
import { SUITES } from "../suites/index.ts";

const dir = mkdtempSync(join(tmpdir(), "faultline-coverage-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function context(providers: string[]): RunContext {
  return {
    profile: loadProfile("lumenfall"),
    target: { gateway: "http://127.0.0.1:1", apiKey: "k", model: "m", headers: {} },
    seed: 1,
    runs: 1,
    harnessDeadlineMs: 7_000,
    providers,
  };
}

const build = {
  request: (ctx: RunContext, stream: boolean) =>
    chatRequest(ctx.profile, ctx.target, { text: "hi", withMarker: true, stream }),
};

describe("the coverage phase", () => {
  it("places every step of the mock's registry, JSON and streamed", () => {
    expect(uncoveredSteps()).toEqual([]);
    const cases = coverageCases(context(["alpha", "beta", "gamma"]), build);
    const placed = new Set(cases.map((c) => c.coverage!.step));
    expect([...stepIds()].filter((s) => !placed.has(s))).toEqual([]);
    // Every placement for three providers, and both request modes.
    expect(new Set(cases.map((c) => c.coverage!.placement))).toEqual(
      new Set(["first", "middle", "last", "every"]),
    );
    expect(cases.some((c) => c.request.body?.includes('"stream":true'))).toBe(true);
    expect(cases.some((c) => !c.request.body?.includes('"stream":true'))).toBe(true);
  });

  it("puts each case where its step belongs: earlier providers fail, a later one answers, or all fail", () => {
    const cases = coverageCases(context(["alpha", "beta", "gamma"]), build);
    const hangMiddle = cases.find(
      (c) =>
        c.coverage?.step === "hang" &&
        c.coverage.placement === "middle" &&
        c.condition === "upstream.failover",
    )!;
    expect(hangMiddle.plan!.providers).toEqual({ alpha: ["server_error"], beta: ["hang"], gamma: ["ok"] });
    const everyLarge = cases.find(
      (c) =>
        c.coverage?.step === "rate_limit" &&
        c.coverage.variant === "Retry-After 120 s" &&
        c.coverage.placement === "every" &&
        !c.request.body?.includes('"stream":true'),
    )!;
    expect(everyLarge.condition).toBe("upstream.exhausted");
    for (const steps of Object.values(everyLarge.plan!.providers))
      expect(steps).toEqual([{ step: "rate_limit", retryAfter: "seconds", retryAfterS: 120 }]);
    const streamBreak = cases.find(
      (c) =>
        c.coverage?.step === "stream_cut" &&
        c.condition === "upstream.stream_break" &&
        c.coverage.placement === "last",
    )!;
    expect(Object.values(streamBreak.plan!.providers).map((s) => JSON.stringify(s[0]))).toEqual([
      '"server_error"',
      '"server_error"',
      JSON.stringify({ step: "stream_cut", afterChunks: 1 }),
    ]);
    // Each condition's cases belong to a property that exists.
    const ids = new Set(SUITES.flatMap((s) => s.properties.map((p) => p.id)));
    for (const p of Object.values(PROPERTY_OF)) expect(ids).toContain(p);
  });

  it("is deterministic, and adapts to fewer providers", () => {
    const a = coverageCases(context(["alpha", "beta", "gamma"]), build);
    expect(coverageCases(context(["alpha", "beta", "gamma"]), build)).toEqual(a);
    const two = coverageCases(context(["alpha", "beta"]), build);
    expect(two.some((c) => c.coverage?.placement === "middle")).toBe(false);
    const one = coverageCases(context(["alpha"]), build);
    expect(one.every((c) => Object.keys(c.plan!.providers).length === 1)).toBe(true);
    expect(new Set(one.map((c) => c.coverage!.step))).toEqual(new Set(stepIds()));
  });

  it("reaches every step of the registry against the reference gateway, and reports the matrix", async () => {
    const report = join(dir, "run");
    const out = await runHarness({ profile: "lumenfall", seed: 7, runs: 2, quiet: true, report });
    expect(out.exitCode, out.output).toBe(0);
    const m = out.result!.coverage as CoverageMatrix;
    expect(m.steps).toEqual(stepIds());
    for (const step of stepIds()) {
      const s = stepSummary({ ...m, entries: m.entries.filter((e) => e.phase === "coverage") }, step);
      expect(s.json.pass + s.stream.pass, `${step} reached in the coverage phase`).toBeGreaterThan(0);
      expect(s.json.fail + s.stream.fail, step).toBe(0);
    }
    const json = JSON.parse(readFileSync(join(report, "report.json"), "utf8"));
    expect(json.coverage.entries.length).toBe(m.entries.length);
    const summary = readFileSync(join(report, "summary.md"), "utf8");
    expect(summary).toContain("### Coverage");
    for (const step of stepIds()) expect(summary).toMatch(new RegExp(`^\\| ${step} \\| \\d+ pass`, "m"));
    expect(out.output).toContain(`coverage: ${stepIds().length} of ${stepIds().length} mock steps reached`);
  }, 120_000);

  it("a step registered without coverage is reported, so it cannot go unplaced", () => {
    registerStep({
      id: "faultline_test_unplaced",
      summary: "a step only this test knows",
      params: z.object({}).strict(),
      reply: () => ({ status: 200, headers: {}, body: "{}" }),
    });
    expect(uncoveredSteps()).toEqual(["faultline_test_unplaced"]);
  });
});
