// One-defect gateways that only an outage run catches, each at phase level: a retry storm that ignores
// Retry-After (AMP-001), a breaker that never closes (REC-001), Retry-After dropped under a storm (RA-004).
// Short runs at low rates: a few seconds of a 429 storm each, on the built-in mock.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { OUTAGE_MUTATIONS, RETRY_STORM_ATTEMPTS } from "../mocks/gateway/mutations-outage.ts";
import { type OutageFlags, runOutageCommand } from "../scripts/cli/outage.ts";
import { readCaseFile } from "../suites/case-file.ts";
import type { OutageResult } from "../suites/outage/run.ts";

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
 * The storm's failures of a check, and the recovery's. The mock switches phases on its own timer, so a
 * request sent in the first moments of the recovery may still meet the storm (more so on a loaded machine):
 * a few strays are allowed, never as many as the storm's.
 */
function split(r: OutageResult, id: string) {
  const by = check(r, id).byPhase;
  return { storm: by.storm ?? 0, recovery: by.recovery ?? 0 };
}

describe("outage-level one-defect gateways, each caught at phase level", () => {
  it("lists one mutant per outage check", () => {
    expect(OUTAGE_MUTATIONS.map((m) => m.expectedCheck).sort()).toEqual(["AMP-001", "RA-004", "REC-001"]);
  });

  it("retry_storm: AMP-001 fails in the storm, not in the recovery; --strict exits 1", async () => {
    const { exitCode, r, output } = await outage("retry-storm", { defect: ["retry_storm"], strict: true });
    expect(exitCode, output).toBe(1);
    expect(check(r, "AMP-001")).toMatchObject({ outcome: "fail", level: "should" });
    const amp = split(r, "AMP-001");
    // Most of the storm's requests, though a loaded machine may let a few reach the mock after it ended.
    expect(amp.storm).toBeGreaterThan(phase(r, "storm").sent / 3);
    expect(amp.recovery).toBeLessThanOrEqual(Math.max(2, amp.storm / 5));
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

  it("breaker_never_closes: REC-001 fails (must, exit 1); a correct breaker recovers within recoveryS", async () => {
    const bad = await outage("never-closes", { defect: ["breaker_never_closes"], profile: quick });
    expect(bad.exitCode, bad.output).toBe(1);
    expect(check(bad.r, "REC-001")).toMatchObject({ outcome: "fail", level: "must" });
    expect(bad.r.recovery.recoveredAfterS).toBeUndefined();
    expect(phase(bad.r, "recovery").goodputPerS).toBe(0);
    expect(phase(bad.r, "recovery").failed.map((f) => f.id)).toEqual(["REC-001"]);
    expect(bad.output).toMatch(/FAIL REC-001 \(must\) The gateway recovers/);

    const good = await outage("breaker-ok", { breakerThreshold: 5, breakerOpenMs: 1_000, profile: quick });
    expect(good.exitCode, good.output).toBe(0);
    expect(check(good.r, "REC-001").outcome).toBe("pass");
    expect(good.r.recovery.recoveredAfterS).toBeLessThanOrEqual(5);
  });

  it("storm_drops_retry_after: RA-004 fails in the storm only; the reference gateway passes it", async () => {
    const bad = await outage("drops-retry-after", {
      defect: ["storm_drops_retry_after"],
      profile: "meta-envelope",
      strict: true,
    });
    expect(bad.exitCode, bad.output).toBe(1);
    expect(check(bad.r, "RA-004")).toMatchObject({ outcome: "fail" });
    const ra = split(bad.r, "RA-004");
    expect(ra.storm).toBeGreaterThan(phase(bad.r, "storm").sent / 3);
    expect(ra.recovery).toBeLessThanOrEqual(Math.max(2, ra.storm / 5));

    const good = await outage("reference-meta", { profile: "meta-envelope", strict: true });
    expect(good.exitCode, good.output).toBe(0);
    expect(check(good.r, "RA-004").outcome).toBe("pass");
    expect(check(good.r, "RA-004").evaluated).toBeGreaterThan(10);
  });
});
