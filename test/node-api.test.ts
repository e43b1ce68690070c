// faultline/node as a program uses it: runs and replays one after another and side by side in one process,
// live progress through the hooks, and a run stopped by its AbortSignal with the partial report written.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type CaseProgress, type PropertyOutcome, replay, run } from "../node/index.ts";

const dir = mkdtempSync(join(tmpdir(), "faultline-node-api-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("faultline/node in one process", () => {
  it("run, then replay twice (in turn and side by side), then run again: each with its own connections", async () => {
    const broken = await run({
      defect: ["exhaustion_200"],
      only: ["EXH-001"],
      seed: 3,
      runs: 3,
      report: join(dir, "broken"),
    });
    expect(broken.exitCode, broken.output).toBe(1);
    const caseFile = broken.result!.checks.find((c) => c.id === "EXH-001")!.violations[0]!.caseFile!;

    const fixed = await replay(caseFile);
    expect([fixed.verdict, fixed.exitCode, fixed.fixed], fixed.output).toEqual(["FIXED", 0, true]);
    const [still, again] = await Promise.all([
      replay(caseFile, { defect: ["exhaustion_200"] }),
      replay(caseFile),
    ]);
    expect([still.verdict, still.exitCode], still.output).toEqual(["STILL FAILING", 1]);
    expect(again.verdict, again.output).toBe("FIXED");

    const cases: CaseProgress[] = [];
    const properties: PropertyOutcome[] = [];
    const lines: string[] = [];
    const clean = await run({
      only: ["EXH-001"],
      seed: 3,
      runs: 3,
      report: join(dir, "clean"),
      onCase: (p) => cases.push(p),
      onProperty: (p) => properties.push(p),
      onLine: (l) => lines.push(l),
    });
    expect(clean.exitCode, clean.output).toBe(0);
    expect(lines.join("\n")).toBe(clean.output);
    // Every case the property ran was heard, in order, ending at the count the outcome reports.
    const exhausted = properties.find((p) => p.id === "upstream.exhausted")!;
    const heard = cases.filter((c) => c.property === "upstream.exhausted");
    expect(heard.map((c) => c.done)).toEqual(Array.from({ length: exhausted.executed }, (_, i) => i + 1));
    expect(heard.at(-1)).toMatchObject({
      done: exhausted.requested,
      requested: exhausted.requested,
      failures: 0,
    });
  }, 240_000);

  it("stops when its signal aborts: the cases in flight end, the partial report says so, exit 143 for SIGTERM", async () => {
    const abort = new AbortController();
    const report = join(dir, "stopped");
    const out = await run({
      seed: 5,
      runs: 50,
      report,
      signal: abort.signal,
      onCase: () => abort.abort("SIGTERM"),
    });
    expect(out.exitCode, out.output).toBe(143);
    expect(out.result!.stopped!.reason).toMatch(/^interrupted by SIGTERM/);
    expect(existsSync(join(report, "report.json"))).toBe(true);
    expect(JSON.parse(readFileSync(join(report, "report.json"), "utf8")).stopped.reason).toMatch(/SIGTERM/);
  }, 120_000);
});
