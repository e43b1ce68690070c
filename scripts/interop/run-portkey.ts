import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_PROVIDERS } from "../../mocks/engine.ts";
import { startMock } from "../../mocks/server.ts";
import type { CheckOutcome } from "../../suites/harness/runner.ts";
import { type HarnessOutcome, runHarness } from "../cli/run.ts";
import { type Baseline, compareOutcomes, type Move, readBaseline } from "./baseline.ts";
import { startPortkey } from "./portkey-server.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
export const PORTKEY_TARGET = join(HERE, "portkey.target.yaml");
export const PORTKEY_BASELINE = resolve(HERE, "../../fixtures/baselines/portkey.json");
export const PORTKEY_PROFILE = "openai-compatible";
/** Used when there is no baseline yet; afterwards the baseline's own seed and runs are replayed. */
export const DEFAULT_RUN = { seed: 20261121, runs: 25 } as const;

export interface InteropOptions {
  seed?: number;
  runs?: number;
  reportDir?: string;
  baselineFile?: string;
  quiet?: boolean;
}

export interface InteropResult {
  version: string;
  seed: number;
  runs: number;
  outcomes: Record<string, CheckOutcome>;
  baseline?: Baseline;
  /** Checks whose outcome differs from the baseline's (empty without a baseline). */
  moves: Move[];
  harness: HarnessOutcome;
  durationMs: number;
  /** Portkey's own stderr, for a failure message. */
  gatewayLog: string;
}

/**
 * Starts the mock and Portkey on loopback, runs every suite against Portkey with the openai-compatible
 * profile and the target config that renders its fallback routing over the mock's providers, and compares
 * the per-check outcomes with the baseline. The baseline is also the run's known-failing list, so the report
 * marks its failures as tolerated.
 */
export async function runPortkeyInterop(o: InteropOptions = {}): Promise<InteropResult> {
  const started = Date.now();
  const baselineFile = o.baselineFile ?? PORTKEY_BASELINE;
  const baseline = readBaseline(baselineFile);
  const seed = o.seed ?? baseline?.seed ?? DEFAULT_RUN.seed;
  const runs = o.runs ?? baseline?.runs ?? DEFAULT_RUN.runs;
  const comparable = baseline && baseline.seed === seed && baseline.runs === runs;
  const mock = await startMock({ providers: DEFAULT_PROVIDERS });
  try {
    const portkey = await startPortkey();
    try {
      // An empty environment: a user's FAULTLINE_* variables must not change what is compared.
      const harness = await runHarness(
        {
          gateway: portkey.url,
          mock: mock.url,
          config: PORTKEY_TARGET,
          profile: PORTKEY_PROFILE,
          seed,
          runs,
          // Portkey's fallback strategy keeps no state between requests (no breaker, no cooldown in the
          // config), so its upstream cases need not wait for each other.
          concurrency: 4,
          report: o.reportDir ?? "reports/portkey",
          knownFailing: comparable ? baselineFile : undefined,
          quiet: o.quiet,
        },
        {},
      );
      const outcomes = Object.fromEntries((harness.result?.checks ?? []).map((c) => [c.id, c.outcome]));
      return {
        version: portkey.version,
        seed,
        runs,
        outcomes,
        baseline,
        moves: comparable ? compareOutcomes(baseline.checks, outcomes) : [],
        harness,
        durationMs: Date.now() - started,
        gatewayLog: portkey.log(),
      };
    } finally {
      await portkey.close();
    }
  } finally {
    await mock.close();
  }
}
