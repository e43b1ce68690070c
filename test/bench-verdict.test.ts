// `npm run bench:mock` runs by hand, but a script may gate on its exit code: a run the machine was too busy
// to judge must not read as met.
import { describe, expect, it } from "vitest";
import { benchVerdict } from "../scripts/bench/stats.ts";

describe("bench:mock's verdict", () => {
  it("fails a judged miss, calls a run with a target not judged inconclusive, and passes only when all were met", () => {
    expect(benchVerdict(true, false)).toMatchObject({ state: "missed", exitCode: 1 });
    // A miss outweighs what could not be judged.
    expect(benchVerdict(true, true)).toMatchObject({ state: "missed", exitCode: 1 });
    const busy = benchVerdict(false, true);
    expect(busy).toMatchObject({ state: "inconclusive", exitCode: 3 });
    expect(busy.line).toContain("NOT JUDGED");
    expect(benchVerdict(false, false)).toMatchObject({ state: "met", exitCode: 0, line: "targets met" });
  });
});
