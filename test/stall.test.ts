import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Profile } from "../core/profile/schema.ts";
import type { Check } from "../suites/checks/registry.ts";
import { type CaseEnv, runCase, STALL_MS, STARVED_MS } from "../suites/harness/case-run.ts";
import type { RunContext } from "../suites/harness/context.ts";
import { closeHttp } from "../suites/harness/http.ts";
import { checkResults, newTally } from "../suites/harness/outcomes.ts";
import { StallWatch } from "../suites/harness/stall.ts";
import type { CaseSpec } from "../suites/harness/types.ts";

// A failure judged while the harness's own event loop stood still is the machine's until a run without a
// stall shows it too (suites/harness/stall.ts). The gateway here shares the test's loop, as the built-in one
// does: blocking it for a request is a stall the watch sees.

const busy = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};
const tick = () => new Promise((r) => setTimeout(r, 40));
/** A loop starved rather than stopped: busy `slice` ms, a turn of the loop, again, for `ms` in all. */
async function starve(ms: number, slice = 40): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    busy(slice);
    await new Promise((r) => setImmediate(r));
  }
}

/** A started watch for `fn`, stopped after it whatever happens. */
async function watching(fn: (watch: StallWatch) => unknown): Promise<void> {
  const watch = new StallWatch();
  watch.start();
  try {
    await fn(watch);
  } finally {
    watch.stop();
  }
}

describe("StallWatch", () => {
  it("reports the longest stall that overlapped a window, and none outside it", () =>
    watching(async (watch) => {
      await tick();
      const before = performance.now();
      await tick();
      const from = performance.now();
      busy(STALL_MS + 60);
      await tick();
      const to = performance.now();
      expect(watch.during(from, to).longest).toBeGreaterThanOrEqual(STALL_MS);
      // Windows before and after the stall do not see it. They may see a few ms of ordinary lateness on a
      // busy machine (CI runs three test files side by side on two cores), never the stall itself.
      const outside = [watch.during(0, before)];
      await tick();
      const after = performance.now();
      await tick();
      outside.push(watch.during(after, performance.now()));
      for (const loss of outside) {
        expect(loss.longest).toBeLessThan(STALL_MS / 2);
        expect(loss.lost).toBeLessThan(STALL_MS / 2);
      }
    }));

  it("sees a starved loop: many short stalls, none long, most of the window lost", () =>
    watching(async (watch) => {
      await tick();
      const from = performance.now();
      await starve(1_200);
      const to = performance.now();
      const loss = watch.during(from, to);
      expect(loss.longest).toBeLessThan(STALL_MS);
      expect(loss.lost).toBeGreaterThanOrEqual(STARVED_MS);
      expect(loss.lost).toBeGreaterThanOrEqual((to - from) / 2);
    }));

  it("sees a stall that is still going on when asked", () =>
    watching(async (watch) => {
      const from = performance.now();
      busy(STALL_MS + 60);
      expect(watch.during(from, performance.now()).longest).toBeGreaterThanOrEqual(STALL_MS);
    }));
});

describe("a case that fails while the harness stalls", () => {
  let server: Server;
  let url = "";
  /** Per request: whether to block the loop first, and the status to answer. */
  let script: (n: number) => { stall: boolean | "starve"; status: number } = () => ({
    stall: false,
    status: 200,
  });
  let seen = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const { stall, status } = script(seen++);
      req.resume();
      req.on("end", async () => {
        if (stall === "starve") await starve(1_000);
        else if (stall) busy(STALL_MS + 100);
        res.writeHead(status, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await closeHttp();
    await new Promise((r) => server.close(r));
  });

  const failsOn500: Check = {
    id: "TEST-500",
    level: "must",
    title: "no 500",
    sentence: "The gateway does not answer 500.",
    source: "test",
    fix: "none",
    applies: () => true,
    judge: (j) => (j.exchange.status === 500 ? { expected: "not 500", received: "500" } : undefined),
  };
  const c: CaseSpec = {
    property: "test.stall",
    condition: "test.stall",
    request: { method: "POST", path: "/v1/chat/completions", headers: {}, body: "{}" },
  };
  const run = async (stalls: StallWatch | undefined) => {
    const ctx = {
      profile: {},
      target: { gateway: url, headers: {} },
      seed: 1,
      runs: 1,
      harnessDeadlineMs: 5_000,
      providers: [],
    } as unknown as RunContext;
    const env: CaseEnv = {
      watchdog: { check: async () => ({ state: "up" }), reached: () => undefined } as never,
      settleMs: 0,
      stopped: () => false,
      stalls,
    };
    seen = 0;
    stalls?.start();
    try {
      return await runCase(c, ctx, [failsOn500], env, () => ({}) as never);
    } finally {
      stalls?.stop();
    }
  };

  it("runs again, and a run without a stall judges it", async () => {
    script = (n) => (n === 0 ? { stall: true, status: 500 } : { stall: false, status: 200 });
    const r = await run(new StallWatch());
    expect(r.kind).toBe("judged");
    expect(r.kind === "judged" && r.ex.verdicts).toEqual([]);
    expect(seen).toBe(2);
  });

  it("is the gateway's when it fails again without a stall", async () => {
    script = (n) => ({ stall: n === 0, status: 500 });
    const r = await run(new StallWatch());
    expect(r.kind === "judged" && r.ex.verdicts.map((v) => v.checkId)).toEqual(["TEST-500"]);
    expect(seen).toBe(2);
  });

  it("is inconclusive, with the reason, when every run stalls", async () => {
    script = () => ({ stall: true, status: 500 });
    const r = await run(new StallWatch());
    expect(r.kind).toBe("inconclusive");
    expect(r.kind === "inconclusive" && r.reason).toMatch(
      /failed 3 times while the harness's own event loop stood still or starved \(last run: \d+ ms at worst, \d+ ms late over \d+ ms\).*--concurrency 1/,
    );
    expect(seen).toBe(3);
    expect(r.kind === "inconclusive" && r.unconfirmed).toEqual(["TEST-500"]);
  });

  it("an unconfirmed failure keeps its check from passing on the other cases", () => {
    const tally = newTally();
    tally.evaluated = 7;
    tally.unconfirmed.set("it failed 3 times while the harness's own event loop stood still", 1);
    const judged = () =>
      checkResults({
        checks: [failsOn500],
        profile: {} as Profile,
        tallies: new Map([[failsOn500.id, tally]]),
        active: new Set([failsOn500.id]),
        lists: new Map(),
        properties: [],
      })[0]!;
    expect(judged().outcome).toBe("inconclusive");
    expect(judged().reason).toMatch(
      /1 case\(s\) failed it, unconfirmed: .*stood still \(7 other case\(s\) held\)/,
    );
    // Without it, the same tally passes.
    tally.unconfirmed.clear();
    expect(judged().outcome).toBe("pass");
  });

  it("runs again when the loop was starved rather than stopped", async () => {
    script = (n) => (n === 0 ? { stall: "starve", status: 500 } : { stall: false, status: 200 });
    const r = await run(new StallWatch());
    expect(r.kind === "judged" && r.ex.verdicts).toEqual([]);
    expect(seen).toBe(2);
  });

  it("a failure without a stall is judged at once", async () => {
    script = () => ({ stall: false, status: 500 });
    const r = await run(new StallWatch());
    expect(r.kind === "judged" && r.ex.verdicts.length).toBe(1);
    expect(seen).toBe(1);
  });

  it("a stall in a passing case changes nothing", async () => {
    script = () => ({ stall: true, status: 200 });
    const r = await run(new StallWatch());
    expect(r.kind === "judged" && r.ex.verdicts).toEqual([]);
    expect(seen).toBe(1);
  });
});
