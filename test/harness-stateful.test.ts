import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadProfile } from "../core/profile/load.ts";
import { GATEWAY_DEFAULTS, startGateway } from "../gateway/index.ts";
import { DEFAULT_PROVIDERS } from "../mocks/engine.ts";
import { startMock } from "../mocks/server.ts";
import { type RunFlags, runHarness } from "../scripts/cli/run.ts";

// Gateways that keep state: a correct circuit breaker must not be reported as failover, exhaustion or
// upstream failures (docs/contract.md §27). Each test starts its own mock and gateway and closes them.
const dir = mkdtempSync(join(tmpdir(), "faultline-stateful-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function withBreakerGateway<T>(
  breaker: { failureThreshold: number; openMs: number },
  run: (flags: RunFlags) => Promise<T>,
): Promise<T> {
  const mock = await startMock({ providers: DEFAULT_PROVIDERS });
  const gw = await startGateway({
    profile: loadProfile("lumenfall"),
    upstreams: DEFAULT_PROVIDERS.map((p) => ({ name: p.name, baseUrl: mock.providerUrl(p.name) })),
    attemptTimeoutMs: 250,
    deadlineMs: 3_000,
    breaker,
  }).catch(async (e) => {
    await mock.close();
    throw e;
  });
  try {
    return await run({
      gateway: gw.url,
      mock: mock.url,
      profile: "lumenfall",
      apiKey: GATEWAY_DEFAULTS.apiKeys[0],
      model: GATEWAY_DEFAULTS.models[0],
      brokeKey: GATEWAY_DEFAULTS.brokeKey,
      limitedKey: GATEWAY_DEFAULTS.limitedKey,
      disabledModel: GATEWAY_DEFAULTS.disabledModels[0],
      deadlineMs: 5_000,
      seed: 7,
      runs: 8,
      // The checks a breaker could be mistaken by: the properties that judge them are the ones that fail
      // providers on purpose (the rest would only add minutes of settle waits).
      only: ["FO-*", "EXH-*", "UPS-*", "STR-*"],
      quiet: true,
    });
  } finally {
    await gw.close();
    await mock.close();
  }
}

const outcome = (r: Awaited<ReturnType<typeof runHarness>>, id: string) =>
  r.result!.checks.find((c) => c.id === id)!.outcome;

describe.concurrent("a gateway with a circuit breaker", () => {
  it("passes --strict when the harness gives the breaker its open time (--settle-ms)", async () => {
    const report = join(dir, "settled");
    const out = await withBreakerGateway({ failureThreshold: 2, openMs: 300 }, (flags) =>
      // Every case that meets the open breaker waits out --settle-ms: failover and a provider's refusal are
      // where a breaker is mistaken for a defect, and enough to show the settle time works.
      runHarness({ ...flags, only: ["FO-*", "UPS-*"], strict: true, settleMs: 500, report }, {}),
    );
    const notPassed = out.result!.checks.filter((c) => c.level === "must" && c.outcome !== "pass");
    expect(
      notPassed
        .filter((c) => c.outcome !== "not_declared" && c.outcome !== "not_selected")
        .map((c) => `${c.id} ${c.outcome} ${c.reason}`),
      out.output,
    ).toEqual([]);
    // The breaker did open: cases were retried after the settle time, and then judged.
    const settled = out.result!.properties.reduce((n, p) => n + (p.settled ?? 0), 0);
    expect(settled, out.output).toBeGreaterThan(0);
    expect(out.exitCode, out.output).toBe(0);
    // The coverage phase fails the first provider in most of its cases: nearly each waits out the breaker.
  }, 300_000);

  // The checks added with the crosstalk, usage, retryability and disconnect properties judge the journal in
  // their own ways; a breaker that skips or short-circuits providers must not read as their defect either.
  it("the crosstalk, usage, retryability and disconnect checks fail nothing against it", async () => {
    const report = join(dir, "newer-checks");
    const only = ["XTALK-001", "USE-001", "RETRY-*", "DISC-001"];
    const out = await withBreakerGateway({ failureThreshold: 2, openMs: 300 }, (flags) =>
      runHarness({ ...flags, only, runs: 2, settleMs: 500, report }, {}),
    );
    const failed = out.result!.checks.filter((c) => c.outcome === "fail").map((c) => c.id);
    expect(failed, out.output).toEqual([]);
    // Each judged something: a check that passes on nothing proves nothing here.
    for (const id of ["XTALK-001", "USE-001", "RETRY-001", "RETRY-002", "DISC-001"])
      expect(outcome(out, id), `${id}\n${out.output}`).toBe("pass");
  }, 300_000);

  it("without the settle time, its skipped providers make cases inconclusive, never failures", async () => {
    const report = join(dir, "unsettled");
    const out = await withBreakerGateway({ failureThreshold: 2, openMs: 60_000 }, (flags) =>
      runHarness({ ...flags, strict: true, report }, {}),
    );
    for (const id of ["FO-001", "EXH-001", "UPS-001", "UPS-002", "STR-001"])
      expect(outcome(out, id), `${id}\n${out.output}`).not.toBe("fail");
    const inconclusive = out.result!.checks.filter((c) => c.outcome === "inconclusive");
    expect(inconclusive.map((c) => c.id)).toContain("UPS-001");
    expect(inconclusive[0]!.reason).toMatch(/skipped alpha|saw no attempt/);
    expect(inconclusive[0]!.reason).toContain("--settle-ms");
    // Every case of the property, the coverage phase's and the 8 random ones, waits on the open breaker.
    const nonRetryable = out.result!.properties.find((p) => p.id === "upstream.non_retryable")!;
    expect(nonRetryable.inconclusive).toBe(nonRetryable.requested);
    expect(nonRetryable.requested).toBeGreaterThan(8);
    // --strict does not let a must check that judged nothing pass.
    expect(out.exitCode).toBe(1);
    expect(out.output).toMatch(/strict, not judged: .*UPS-001 inconclusive/);
    const json = JSON.parse(readFileSync(join(report, "report.json"), "utf8"));
    expect(json.checks.find((c: { id: string }) => c.id === "UPS-001").outcome).toBe("inconclusive");
  });
});
