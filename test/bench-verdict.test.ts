// `npm run bench:mock` runs by hand, but a script may gate on its exit code: a run the machine was too busy
// to judge must not read as met.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canaryCpuUs, slowedRounds } from "../scripts/bench/canary.ts";
import { benchVerdict, judgeRatio, median, medianInterval } from "../scripts/bench/stats.ts";
import { judgeStorm, type StormFigures } from "../scripts/bench/storm-verdict.ts";

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

describe("bench:mock's rounds", () => {
  const rules = { minRounds: 6, stableSpread: 0.1 };

  it("takes the median's interval from order statistics whose coverage is exact", () => {
    // n = 6: min and max (coverage 1 − 2/64); n = 8: 2nd and 7th (1 − 2·9/256); n = 10: 2nd and 9th.
    expect(medianInterval([6, 1, 5, 2, 4, 3])).toEqual({ lo: 1, hi: 6, coverage: 1 - 2 / 64 });
    expect(medianInterval([1, 2, 3, 4, 5, 6, 7, 8])).toMatchObject({ lo: 2, hi: 7 });
    expect(medianInterval([1, 2, 3, 4, 5, 6, 7, 8]).coverage).toBeCloseTo(1 - (2 * 9) / 256, 12);
    expect(medianInterval([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).toMatchObject({ lo: 2, hi: 9 });
    // Four values cannot reach 90%: the whole range, and the coverage says so.
    expect(medianInterval([1, 2, 3, 4]).coverage).toBeLessThan(0.9);
  });

  it("brackets the median with two of the values, at 90% or more from five values on", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.5, max: 2, noNaN: true }), { minLength: 5, maxLength: 16 }),
        (xs) => {
          const { lo, hi, coverage } = medianInterval(xs);
          expect(xs).toContain(lo);
          expect(xs).toContain(hi);
          expect(lo).toBeLessThanOrEqual(median(xs));
          expect(hi).toBeGreaterThanOrEqual(median(xs));
          expect(coverage).toBeGreaterThanOrEqual(0.9);
        },
      ),
    );
  });

  it("stops early only when every value the interval holds falls on one side of the target", () => {
    const wellUnder = [1.05, 1.08, 1.1, 1.07, 1.09, 1.06];
    expect(judgeRatio(wellUnder, 1.15, false, rules)).toMatchObject({
      stable: true,
      decided: true,
      met: true,
    });
    // 1.16 is past the target: the interval straddles it, so more rounds are run; the median still calls it.
    const near = [1.1, 1.12, 1.13, 1.11, 1.16, 1.12];
    expect(judgeRatio(near, 1.15, false, rules)).toMatchObject({ stable: true, decided: false, met: true });
    const over = [1.2, 1.22, 1.19, 1.21, 1.23, 1.2];
    expect(judgeRatio(over, 1.15, false, rules)).toMatchObject({ decided: true, met: false });
    // At-least targets read the other way.
    expect(judgeRatio([0.95, 0.97, 0.96, 0.98, 0.94, 0.99], 0.9, true, rules)).toMatchObject({
      met: true,
      decided: true,
    });
    // Fewer rounds than the minimum, or rounds that disagree, decide nothing.
    expect(judgeRatio(wellUnder.slice(0, 5), 1.15, false, rules)).toMatchObject({
      stable: false,
      decided: false,
    });
    expect(judgeRatio([1, 1.5, 0.8, 1.3, 0.9, 1.4], 1.15, false, rules)).toMatchObject({
      stable: false,
      decided: false,
    });
    // Rounds far apart but all far from the target: the interval settles it, spread or not.
    expect(judgeRatio([0.25, 0.4, 0.3, 0.55, 0.24, 0.5], 0.9, true, rules)).toMatchObject({
      stable: true,
      decided: true,
      met: false,
    });
    // No target: decided as soon as the rounds agree.
    expect(judgeRatio(wellUnder, undefined, false, rules)).toMatchObject({ decided: true, met: null });
  });

  it("judges the burst's p99 differences on a spread in milliseconds, as their median may be near zero", () => {
    const burst = { minRounds: 5, stableSpread: 10, absolute: true };
    // Around zero: a spread over the median would be endless; in milliseconds it is 3, within the slack.
    expect(judgeRatio([-2, 1, 3, -4, 0], 10, false, burst)).toMatchObject({
      value: 0,
      spread: 3,
      stable: true,
      decided: true,
      met: true,
    });
    // Near the slack: judged by the median, with more pairs to come while the interval straddles it.
    expect(judgeRatio([8, 12, 9, 11, 10, 7], 10, false, burst)).toMatchObject({
      stable: true,
      decided: false,
      met: true,
    });
    expect(judgeRatio([14, 16, 15, 13, 17], 10, false, burst)).toMatchObject({ decided: true, met: false });
    // Pairs 25 ms apart between their quartiles say nothing of a 10 ms slack.
    expect(judgeRatio([-20, 15, 3, 30, -10], 10, false, burst)).toMatchObject({
      stable: false,
      decided: false,
    });
    // Four pairs are too few, however well they agree.
    expect(judgeRatio([1, 2, 1, 2], 10, false, burst)).toMatchObject({ stable: false });
  });
});

describe("bench:mock's rounds the machine slowed", () => {
  const tolerance = { canaryOver: 0.35, cpuOver: 0.3 };
  const best = (pid: number | undefined) => (pid === 1 ? 1000 : undefined);
  const run = (before: number, after: number, cpu: number) => ({
    pid: 1,
    canaryUs: [before, after],
    cpuUsPerRequest: cpu,
  });

  it("leaves out a bare run slowed on both sides of it, or dearer per answer than bare can be", () => {
    const runs = [
      run(1100, 1200, 26), // quiet
      run(3600, 1300, 25), // one slow moment before the run: the run itself was not slowed
      run(1500, 1900, 27), // both sides 50% over the best: slowed
      run(1200, 1250, 40), // the canary quiet, but bare's own answers 60% dearer than its lowest
      run(1300, 1340, 33), // 32% over the lowest CPU: slowed
      run(1340, 1300, 32), // 28%: kept
    ];
    expect([...slowedRounds(runs, best, tolerance)].sort()).toEqual([2, 3, 4]);
  });

  it("reads only what it is given: a process with no best reading is judged by its CPU alone", () => {
    const other = [
      { pid: 2, canaryUs: [5000, 5000], cpuUsPerRequest: 26 },
      { pid: 2, canaryUs: [5000, 5000], cpuUsPerRequest: 26.5 },
    ];
    expect(slowedRounds(other, best, tolerance).size).toBe(0);
  });

  it("times a fixed piece of work in CPU microseconds", () => {
    const readings = Array.from({ length: 5 }, () => canaryCpuUs());
    for (const r of readings) {
      expect(r).toBeGreaterThan(0);
      expect(r).toBeLessThan(2_000_000);
    }
  });
});

describe("bench:connections' verdict", () => {
  const held: StormFigures = {
    connections: 10_000,
    openedAtStart: 10_000,
    openAtEnd: 10_000,
    sent: 119_988,
    answered: 119_988,
    statuses: { "429": 119_988 },
    expectedStatus: 429,
    errors: 0,
    skipped: 0,
    healthAnswered: 590,
    healthFailures: 0,
    healthP99Ms: 7.2,
    rssGrowth: -0.018,
  };

  it("passes a storm held to the end", () => {
    expect(judgeStorm(held)).toEqual([]);
  });

  it.each<[string, Partial<StormFigures>, string]>([
    [
      "a mock that closes connections cleanly",
      { openAtEnd: 9_000 },
      "1000 connections were closed during the storm",
    ],
    [
      "one that answers 500 in the storm",
      { statuses: { "429": 100_000, "500": 19_988 } },
      "19988 answers were not 429 (500: 19988)",
    ],
    [
      "one that leaves requests unanswered",
      { answered: 119_000 },
      "988 of 119988 requests were never answered",
    ],
    [
      "one that could not take every connection",
      { openedAtStart: 8_000, openAtEnd: 8_000 },
      "8000 of 10000 connections opened",
    ],
    ["socket errors", { errors: 3 }, "3 socket errors"],
    ["a server that fell behind", { skipped: 40 }, "40 requests were due while every connection was busy"],
    ["slow health", { healthP99Ms: 140 }, "health p99 140 ms, over 100 ms"],
    ["failed health calls", { healthFailures: 2 }, "2 health calls failed or timed out"],
    ["health never answered", { healthAnswered: 0, healthP99Ms: Number.NaN }, "health was never answered"],
    ["memory that keeps growing", { rssGrowth: 0.25 }, "RSS grew 25% over the last third"],
    ["a run that sent nothing", { sent: 0, answered: 0, statuses: {} }, "the storm judged nothing"],
  ])("fails %s, saying so", (_name, broken, reason) => {
    const why = judgeStorm({ ...held, ...broken });
    expect(why).toHaveLength(1);
    expect(why[0]).toContain(reason);
  });
});
