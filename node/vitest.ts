import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadProfile } from "../core/profile/load.ts";
import type { Profile } from "../core/profile/schema.ts";
import { allChecks } from "../suites/checks/index.ts";
import type { RunContext } from "../suites/harness/context.ts";
import { withHttpPool } from "../suites/harness/http.ts";
import { prepareTarget } from "../suites/harness/prepare.ts";
import type { Suite } from "../suites/harness/property.ts";
import { runSuites } from "../suites/harness/runner.ts";
import { formatViolation } from "../suites/report/console.ts";
import { openTarget, runContext } from "./open-target.ts";

/**
 * Declares a suite as vitest tests, one per property. The target is found as `faultline run` finds it
 * (node/open-target.ts): FAULTLINE_GATEWAY and the other FAULTLINE_* variables of core/target-keys.ts, or
 * FAULTLINE_CONFIG; with none of them, the built-in reference gateway and mock. FAULTLINE_PROFILE,
 * FAULTLINE_SEED and FAULTLINE_RUNS choose the profile, seed and cases per property. Each property sends
 * through connections of its own.
 *
 * @example
 * // test/blackbox.test.ts
 * import { SUITES } from "faultline";
 * import { describeSuite } from "faultline/vitest";
 * describeSuite(SUITES.find((s) => s.id === "blackbox")!);
 */
export function describeSuite(suite: Suite): void {
  describe(suite.title, () => {
    const env = process.env;
    const seed = Number(env.FAULTLINE_SEED ?? 20261121);
    const runs = Number(env.FAULTLINE_RUNS ?? 25);
    let ctx: RunContext;
    let close = async () => {};
    beforeAll(async () => {
      const profile: Profile = loadProfile(env.FAULTLINE_PROFILE ?? "lumenfall");
      const opened = await openTarget({}, profile, env);
      close = opened.close;
      ctx = runContext(await prepareTarget(opened.target, profile, env.FAULTLINE_MOCK_TOKEN), seed, runs);
    });
    afterAll(() => close());

    for (const prop of suite.properties) {
      it(`${prop.id}: ${prop.title}`, async (t) => {
        const r = await withHttpPool(() =>
          runSuites([{ ...suite, properties: [prop] }], ctx, { checks: allChecks() }),
        );
        const outcome = r.properties[0]!;
        if (outcome.status === "skipped") t.skip(outcome.reason);
        const failures = r.checks.filter((c) => c.outcome === "fail" && c.level === "must");
        const message = failures
          .map(
            (c) =>
              `${c.id} ${c.title}\n${c.violations.map((v) => formatViolation(v, ctx.target, seed)).join("\n")}`,
          )
          .join("\n\n");
        expect(outcome.status === "error" ? outcome.reason : "", "property error").toBe("");
        expect(
          failures.map((f) => f.id),
          `seed ${seed}\n${message}`,
        ).toEqual([]);
      });
    }
  });
}
