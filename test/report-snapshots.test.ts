import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadProfile } from "../core/profile/load.ts";
import { formatRun } from "../suites/report/console.ts";
import { writeReport } from "../suites/report/files.ts";
import { verdictOf } from "../suites/report/verdict.ts";
import { deepFreeze, FIXTURE_RESULT, FIXTURE_TARGET, SECRET } from "./helpers/run-result-fixture.ts";

// The formatters only read a finished run: rendered from one hand-built RunResult (frozen, so a formatter
// that wrote into it would throw), the console summary and the three report files are pinned as files
// under test/__snapshots__/report/. Hostile bytes in the result reach none of them raw.

const dir = mkdtempSync(join(tmpdir(), "faultline-report-snap-"));
const snap = (name: string) => join(import.meta.dirname, "__snapshots__", "report", name);
const rerun = (id: string) => `npx faultline run --seed ${FIXTURE_RESULT.seed} --only ${id}`;
/** C0 controls but tab and newline (so \r too), DEL, C1 controls, bidi overrides. */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const result = deepFreeze(structuredClone(FIXTURE_RESULT));
const files: Record<string, string> = {};
let consoleText = "";
let reported: ReturnType<typeof writeReport>;

beforeAll(() => {
  // curl lines add the mock token's header when it is set in the environment; the snapshots are without it.
  delete process.env.FAULTLINE_MOCK_TOKEN;
  reported = writeReport(dir, result, FIXTURE_TARGET, loadProfile("lumenfall"), false, {
    cli: "npx faultline",
    rerun,
    replayArgs: ` --gateway ${FIXTURE_TARGET.gateway} --mock ${FIXTURE_TARGET.mock}`,
  });
  // The report directory is a fresh temporary one: its name is not part of what is pinned.
  for (const name of ["report.json", "junit.xml", "summary.md"])
    files[name] = readFileSync(join(dir, name), "utf8").split(dir).join("<report-dir>");
  consoleText = formatRun(reported, FIXTURE_TARGET, "lumenfall", false, rerun)
    .split(dir)
    .join("<report-dir>");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("formatters render a finished RunResult and only read it", () => {
  it("the console summary", async () => {
    await expect(consoleText).toMatchFileSnapshot(snap("console.txt"));
  });

  it("summary.md", async () => {
    await expect(files["summary.md"]).toMatchFileSnapshot(snap("summary.md"));
  });

  it("junit.xml, its timestamp from the run's start, not the clock", async () => {
    expect(files["junit.xml"]).toContain('timestamp="2026-01-02T03:04:05"');
    await expect(files["junit.xml"]).toMatchFileSnapshot(snap("junit.xml"));
  });

  it("report.json", async () => {
    // `.snap`: Biome would reformat a `.json` file, and the snapshot is the bytes written, as written.
    await expect(files["report.json"]).toMatchFileSnapshot(snap("report.json.snap"));
  });

  it("no raw control byte and no secret in any output, case files included", () => {
    const cases = readdirSync(join(dir, "cases")).map((f) => readFileSync(join(dir, "cases", f), "utf8"));
    expect(cases).toHaveLength(2);
    for (const text of [consoleText, ...Object.values(files), ...cases]) {
      expect(text).not.toMatch(RAW_CONTROL);
      expect(text).not.toContain(SECRET);
    }
    // The hostile bytes are still there as evidence, made visible.
    expect(consoleText).toContain("\\u001b[2J\\u001b[1;31mPWNED\\u0000 over\\u000dwritten \\u202eevil");
  });

  it("the result is left as the runner finished it; the report answers a new value with the replays", () => {
    expect(result.checks[0]!.violations[0]!.replay).toBeUndefined();
    expect(reported).not.toBe(result);
    expect(reported.checks[0]!.violations[0]!.replay).toMatch(
      /^npx faultline replay .*001-ENV-001\.json --gateway /,
    );
    // The same verdict whichever formatter asks: it is a function of the result and --strict alone.
    expect(verdictOf(result, false)).toEqual(verdictOf(reported, false));
    expect(JSON.parse(files["report.json"]!).verdict.exitCode).toBe(1);
  });
});
