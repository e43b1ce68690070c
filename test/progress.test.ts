// Live progress of `faultline run`: on a terminal one status line rewritten in place, elsewhere one plain
// line per finished property; always on stderr, so stdout stays the report; `--quiet` turns it off.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { progressPrinter } from "../scripts/cli/progress.ts";
import type { PropertyOutcome } from "../suites/harness/result.ts";
import { type Ran, runChild } from "./helpers/child.ts";

const dir = mkdtempSync(join(tmpdir(), "faultline-progress-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fakeStream(isTTY: boolean, columns = 80) {
  const writes: string[] = [];
  return { stream: { isTTY, columns, write: (s: string) => writes.push(s) }, writes };
}

const outcome = (id: string, status: PropertyOutcome["status"], executed: number): PropertyOutcome => ({
  id,
  suite: "s",
  title: id,
  seed: 1,
  requested: 4,
  executed,
  inconclusive: 0,
  status,
  durationMs: 10,
  ...(status === "skipped" ? { reason: "no mock URL given" } : {}),
});

describe("the progress printer", () => {
  it("on a terminal rewrites one status line: property, cases done of requested, failures so far", () => {
    const { stream, writes } = fakeStream(true);
    let now = 0;
    const p = progressPrinter(stream, () => now);
    p.onCase({ property: "upstream.failover", done: 1, requested: 4, failures: 0 });
    now += 10;
    p.onCase({ property: "upstream.failover", done: 2, requested: 4, failures: 1 }); // within 100 ms: not drawn
    now += 200;
    p.onCase({ property: "upstream.failover", done: 3, requested: 4, failures: 1 });
    p.onCase({ property: "upstream.failover", done: 4, requested: 4, failures: 2 }); // the last case: drawn
    p.onProperty(outcome("upstream.failover", "failed", 4));
    p.clear();
    expect(writes).toEqual([
      "\r\x1b[2Kfaultline: upstream.failover 1/4 cases · 0 properties done · 0 failures so far",
      "\r\x1b[2Kfaultline: upstream.failover 3/4 cases · 0 properties done · 1 failure so far",
      "\r\x1b[2Kfaultline: upstream.failover 4/4 cases · 0 properties done · 2 failures so far",
      "\r\x1b[2Kfaultline: upstream.failover failed · 1 property done · 2 failures so far",
      "\r\x1b[2K",
    ]);
    expect(writes.join("")).not.toContain("\n");
  });

  it("keeps the status line within the terminal's width", () => {
    const { stream, writes } = fakeStream(true, 30);
    progressPrinter(stream).onCase({
      property: "a-very-long-property-name",
      done: 1,
      requested: 9,
      failures: 0,
    });
    expect(writes[0]!.replace("\r\x1b[2K", "").length).toBeLessThanOrEqual(29);
  });

  it("elsewhere writes one plain line per finished property, failures counted across properties", () => {
    const { stream, writes } = fakeStream(false);
    const p = progressPrinter(stream);
    p.onCase({ property: "a", done: 1, requested: 4, failures: 1 });
    p.onCase({ property: "b", done: 4, requested: 4, failures: 2 });
    p.onProperty(outcome("b", "failed", 4));
    p.onProperty(outcome("c", "skipped", 0));
    p.clear();
    expect(writes).toEqual([
      "faultline: b failed (4/4 cases) · 3 failures so far\n",
      "faultline: c skipped (no mock URL given) · 3 failures so far\n",
    ]);
  });
});

function cli(args: string[]): Promise<Ran> {
  return runChild(process.execPath, ["bin/faultline.mjs", ...args], {
    env: { PATH: process.env.PATH, NO_COLOR: "1" },
    timeoutMs: 170_000,
  });
}

describe("faultline run, its output not a terminal", () => {
  it("prints a plain progress line per property on stderr, none on stdout, and none with --quiet", async () => {
    const args = ["run", "--only", "ROUTE-001", "--runs", "2", "--seed", "7"];
    const [loud, quiet] = await Promise.all([
      cli([...args, "--report", join(dir, "loud")]),
      cli([...args, "--quiet", "--report", join(dir, "quiet")]),
    ]);
    expect(loud.code, loud.stdout + loud.stderr).toBe(0);
    const lines = loud.stderr.trim().split("\n");
    expect(lines).toContain("faultline: blackbox.routes passed (2/2 cases) · 0 failures so far");
    for (const l of lines)
      expect(l).toMatch(
        /^faultline: \S+ (passed|failed|skipped|incomplete|error) \(.*\) · \d+ failures? so far$/,
      );
    expect(loud.stderr).not.toContain("\r");
    expect(loud.stdout).not.toContain("failures so far");
    expect(loud.stdout).toContain("PASSED");
    expect(quiet.code, quiet.stdout + quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe("");
    expect(quiet.stdout).toContain("PASSED");
  }, 180_000);
});
