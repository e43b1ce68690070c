import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadProfile } from "../../core/profile/load.ts";
import type { Profile } from "../../core/profile/schema.ts";
import { startBuiltin } from "../../node/builtin.ts";
import { formatViolation } from "../report/console.ts";
import { resolveTarget, type Target } from "../target.ts";
import type { RunContext } from "./context.ts";
import { withHttpPool } from "./http.ts";
import type { MockClient } from "./mock-client.ts";
import { prepareTarget } from "./prepare.ts";
import type { Suite } from "./property.ts";
import { runSuites } from "./runner.ts";

/**
 * Declares a suite as vitest tests, one per property. The target comes from the FAULTLINE_* variables of
 * core/target-keys.ts (FAULTLINE_GATEWAY, FAULTLINE_MOCK, FAULTLINE_API_KEY, FAULTLINE_MODEL, …) and
 * FAULTLINE_PROFILE, FAULTLINE_SEED, FAULTLINE_RUNS; without FAULTLINE_GATEWAY the suite runs against the
 * built-in reference gateway and mock. Each property sends through connections of its own.
 */
export function describeSuite(suite: Suite): void {
  describe(suite.title, () => {
    const env = process.env;
    let profile: Profile = loadProfile(env.FAULTLINE_PROFILE ?? "lumenfall");
    const seed = Number(env.FAULTLINE_SEED ?? 20261121);
    let target: Target;
    let mock: MockClient | undefined;
    let providers: string[] = [];
    let close = async () => {};
    beforeAll(async () => {
      if (env.FAULTLINE_GATEWAY) {
        target = resolveTarget({}, env);
      } else {
        const b = await startBuiltin(profile);
        target = b.target;
        close = b.close;
      }
      ({ target, profile, mock, providers } = await prepareTarget(target, profile, env.FAULTLINE_MOCK_TOKEN));
    });
    afterAll(() => close());

    for (const prop of suite.properties) {
      it(`${prop.id}: ${prop.title}`, async (t) => {
        const ctx: RunContext = {
          profile,
          target,
          mock,
          seed,
          runs: Number(env.FAULTLINE_RUNS ?? 25),
          harnessDeadlineMs: (target.deadlineMs ?? profile.deadlineMs) + 2_000,
          providers,
        };
        const r = await withHttpPool(() => runSuites([{ ...suite, properties: [prop] }], ctx));
        const outcome = r.properties[0]!;
        if (outcome.status === "skipped") t.skip(outcome.reason);
        const failures = r.checks.filter((c) => c.outcome === "fail" && c.level === "must");
        const message = failures
          .map(
            (c) =>
              `${c.id} ${c.title}\n${c.violations.map((v) => formatViolation(v, target, seed)).join("\n")}`,
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
