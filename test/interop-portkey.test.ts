import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { describeMove, readBaseline } from "../scripts/interop/baseline.ts";
import { PORTKEY_BASELINE, runPortkeyInterop } from "../scripts/interop/run-portkey.ts";

// Portkey's open-source gateway, on loopback in front of the mock, replayed with the baseline's own seed and
// runs: any check whose outcome moved (a regression, a fix, a new or renamed check) fails this test; record an
// intended change with `npm run interop:portkey -- --update-baseline` and explain it in docs/gateways/portkey.md.
const dir = mkdtempSync(join(tmpdir(), "faultline-portkey-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Since the coverage phase (every fault step, every position, streamed or not) a full run against Portkey
// takes minutes: hang-like steps wait out its 2 s request_timeout per provider. It runs where asked
// (FAULTLINE_INTEROP=1, as `npm run interop:portkey` does by hand) rather than in every `npm test`.
const interop = process.env.FAULTLINE_INTEROP === "1";

describe.skipIf(!interop)("Portkey interop (FAULTLINE_INTEROP=1)", () => {
  it("matches fixtures/baselines/portkey.json check by check", async () => {
    const baseline = readBaseline(PORTKEY_BASELINE);
    expect(baseline, "record a baseline with npm run interop:portkey -- --update-baseline").toBeDefined();
    const r = await runPortkeyInterop({ reportDir: join(dir, "report"), quiet: true });
    expect(
      r.harness.result,
      `the run did not complete:\n${r.harness.output}\n${r.gatewayLog.slice(-2_000)}`,
    ).toBeDefined();
    expect(
      r.moves.map(describeMove),
      `Portkey ${r.version}, seed ${r.seed}, runs ${r.runs}: outcomes moved from the baseline`,
    ).toEqual([]);
    // The run itself agrees: the baseline's failures are tolerated, none of its passes went stale.
    expect(r.harness.output).not.toContain("known-failing list is stale");
  }, 900_000);
});
