// One-defect gateways that only an outage run catches, each at phase level: a retry storm that ignores
// Retry-After (AMP-001), a breaker that never closes (REC-001), Retry-After dropped under a storm (RA-004).
// Short runs at low rates: a few seconds of a 429 storm each, on the built-in mock.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { OUTAGE_MUTATIONS } from "../gateway/mutants/index.ts";
import { RETRY_STORM_ATTEMPTS } from "../gateway/mutants/retry_storm.ts";
import { type OutageFlags, runOutageCommand } from "../scripts/cli/outage.ts";
import { readCaseFile } from "../suites/case-file.ts";
import type { OutageResult } from "../suites/outage/result.ts";

const dir = mkdtempSync(join(tmpdir(), "faultline-outage-mutants-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A profile that gives recovery 5 s instead of 30, so a gateway that never recovers is caught in seconds.
const quick = join(dir, "quick.yaml");
writeFileSync(quick, "extends: lumenfall\nname: quick-recovery\nrecoveryS: 5\n");

async function outage(name: string, flags: Partial<OutageFlags>) {
  const out = await runOutageCommand({
    scenario: "429-storm",
    profile: "lumenfall",
    rate: 30,
    duration: 6,
    seed: 11,
    report: join(dir, name),
    quiet: true,
    ...flags,
  });
  return { ...out, r: out.result };
}

const check = (r: OutageResult, id: string) => r.checks.find((c) => c.id === id)!;
const phase = (r: OutageResult, name: string) => r.phases.find((p) => p.name === name)!;

/**
 * The share of the storm's requests that failed a check, and of the recovery's. The mock switches phases
 * on its own timer, and a busy machine delays requests on their way, so a request sent in the last moments
 * of the storm may meet the recovery and one sent in the first moments of the recovery the storm: the
 * defect must show in most of the storm and in few of the recovery, not in exact counts.
 */
function shares(r: OutageResult, id: string) {
  const by = check(r, id).byPhase;
  return {
    storm: (by.storm ?? 0) / phase(r, "storm").sent,
    recovery: (by.recovery ?? 0) / phase(r, "recovery").sent,
  };
}

describe("outage-level one-defect gateways, each caught at phase level", () => {
  it("lists one mutant per outage check", () => {
    expect(OUTAGE_MUTATIONS.map((m) => m.expectedCheck).sort()).toEqual(["AMP-001", "RA-004", "REC-001"]);
  });

  it("retry_storm: AMP-001 fails in the storm, not in the recovery; --strict exits 1", async () => {
    // A longer storm: each of its requests makes 15 attempts, and most must finish inside it.
    const { exitCode, r, output } = await outage("retry-storm", {
      defect: ["retry_storm"],
      strict: true,
      duration: 9,
    });
    expect(exitCode, output).toBe(1);
    expect(check(r, "AMP-001")).toMatchObject({ outcome: "fail", level: "should" });
    const amp = shares(r, "AMP-001");
    expect(amp.storm).toBeGreaterThan(0.4);
    expect(amp.recovery).toBeLessThan(amp.storm / 3);
    expect(phase(r, "storm").attemptsPerRequest.max).toBe(3 * RETRY_STORM_ATTEMPTS);
    expect(phase(r, "storm").passed).toBe(false);
    expect(phase(r, "recovery").goodputPerS).toBeGreaterThan(20);
    // The retries come before the Retry-After the providers gave: RA-003 sees it too.
    expect(check(r, "RA-003").outcome).toBe("fail");
    // The case file replays the request with what each provider did to it.
    const v = r.violations.find((x) => x.checkId === "AMP-001")!;
    const c = readCaseFile(v.caseFile!);
    expect(c.case.plan?.providers.alpha).toHaveLength(RETRY_STORM_ATTEMPTS);
    expect(c.case.request.body).toContain("{{faultline.marker}}");
  });

  it("breaker_never_closes: alpha stays out after provider-down, REC-001 fails (must) though goodput holds; a correct breaker lets it back", async () => {
    const flags = { scenario: "provider-down", duration: 8, profile: quick };
    const bad = await outage("never-closes", { ...flags, defect: ["breaker_never_closes"] });
    expect(bad.exitCode, bad.output).toBe(1);
    expect(check(bad.r, "REC-001")).toMatchObject({ outcome: "fail", level: "must" });
    expect(bad.r.recovery.recoveredAfterS).toBeUndefined();
    expect(bad.r.recovery.received).toMatch(/alpha, the provider it used before the outage, served nothing/);
    // Beta serves every request: only the journal shows alpha was never asked again.
    expect(phase(bad.r, "recovered").goodputPerS).toBeGreaterThan(20);
    expect(phase(bad.r, "recovered").failed.map((f) => f.id)).toEqual(["REC-001"]);
    expect(bad.output).toMatch(/FAIL REC-001 \(must\) The gateway recovers/);

    const good = await outage("breaker-ok", { ...flags, breakerThreshold: 5, breakerOpenMs: 1_000 });
    expect(good.exitCode, good.output).toBe(0);
    expect(check(good.r, "REC-001").outcome).toBe("pass");
    expect(good.r.recovery.recoveredAfterS).toBeLessThanOrEqual(5);
  });

  it("flapping: a gateway that never fails over fails FO-001 where alpha, its provider, is down; the reference gateway passes", async () => {
    // 30 s: one 20 s cycle (up, beta down, up, alpha down), then 10 s recovered. Both at once, to save time.
    const flags = { scenario: "flapping", duration: 30, rate: 20 };
    const [bad, good] = await Promise.all([
      outage("flapping-no-failover", { ...flags, defect: ["no_failover"] }),
      outage("flapping-reference", flags),
    ]);
    expect(bad.exitCode, bad.output).toBe(1);
    expect(check(bad.r, "FO-001")).toMatchObject({ outcome: "fail", level: "must" });
    // Only alpha's outage shows it: while beta is down the gateway never needs to fail over. (A request
    // sent as the mock's timer moved on may land in the phase after: shares, not exact counts.)
    const by = check(bad.r, "FO-001").byPhase;
    const share = (name: string) => (by[name] ?? 0) / phase(bad.r, name).sent;
    expect(share("alpha-down")).toBeGreaterThan(0.5);
    expect(share("beta-down")).toBe(0);
    expect(share("recovered")).toBeLessThan(share("alpha-down") / 3);
    expect(phase(bad.r, "alpha-down").passed).toBe(false);
    expect(phase(bad.r, "beta-down").passed).toBe(true);
    expect(phase(bad.r, "alpha-down").goodputPerS).toBeLessThan(phase(good.r, "alpha-down").goodputPerS / 2);
    // Its case file replays the failover the gateway did not make: alpha fails, beta would answer.
    const v = bad.r.violations.find((x) => x.checkId === "FO-001")!;
    expect(readCaseFile(v.caseFile!).case.plan?.providers.beta).toEqual([{ step: "ok" }]);

    expect(good.exitCode, good.output).toBe(0);
    expect(check(good.r, "FO-001").outcome).toBe("pass");
    expect(check(good.r, "FO-001").evaluated).toBeGreaterThan(20);
    expect(good.r.phases.every((p) => p.passed)).toBe(true);
  });

  it("storm_drops_retry_after: RA-004 fails in the storm only; the reference gateway passes it", async () => {
    const bad = await outage("drops-retry-after", {
      defect: ["storm_drops_retry_after"],
      profile: "meta-envelope",
      strict: true,
    });
    expect(bad.exitCode, bad.output).toBe(1);
    expect(check(bad.r, "RA-004")).toMatchObject({ outcome: "fail" });
    const ra = shares(bad.r, "RA-004");
    expect(ra.storm).toBeGreaterThan(0.4);
    expect(ra.recovery).toBeLessThan(ra.storm / 3);

    const good = await outage("reference-meta", { profile: "meta-envelope", strict: true });
    expect(good.exitCode, good.output).toBe(0);
    expect(check(good.r, "RA-004").outcome).toBe("pass");
    expect(check(good.r, "RA-004").evaluated).toBeGreaterThan(10);
  });
});
