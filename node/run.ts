// The engine behind `faultline run`, `npm start` and `run()` of faultline/node: resolve the target (or
// start the built-in one), preflight it, run the suites, write the reports, and answer the finished result.
// It prints nothing; each line it would print goes to `onLine`, already sanitized.

import { loadProfile } from "../core/profile/load.ts";
import type { Profile } from "../core/profile/schema.ts";
import { TARGET_KEYS, type TargetKeyValues } from "../core/target-keys.ts";
import { allChecks } from "../suites/checks/index.ts";
import { withHttpPool } from "../suites/harness/http.ts";
import { CLI, preflight } from "../suites/harness/preflight.ts";
import { MockUnreachable, prepareTarget } from "../suites/harness/prepare.ts";
import type { PropertyOutcome, SetupProblem } from "../suites/harness/result.ts";
import { type CaseProgress, matchesPattern, type RunResult, runSuites } from "../suites/harness/runner.ts";
import { SUITES } from "../suites/index.ts";
import { applyKnownFailing, readKnownFailing } from "../suites/known-failing.ts";
import { formatPreflight, formatRun, formatSetup } from "../suites/report/console.ts";
import { writeReport } from "../suites/report/files.ts";
import { sanitizer } from "../suites/report/safe-text.ts";
import { verdictOf } from "../suites/report/verdict.ts";
import { parseHeaderFlag, type Target, targetSecrets } from "../suites/target.ts";
import { BUILTIN_UPSTREAM_CONCURRENCY } from "./builtin.ts";
import { openTarget, refuseEmpty, runContext, type TargetInput } from "./open-target.ts";
import {
  checkSelection,
  raceStop,
  replayArgs,
  rerunCommand,
  runUntilStopped,
  signalExitCode,
  whenAborted,
} from "./run-support.ts";

/** The flags of `faultline run`; the target's keys (gateway, apiKey, …) are those of core/target-keys.ts. */
export interface RunFlags extends TargetKeyValues {
  profile: string;
  report?: string;
  seed?: number;
  runs?: number;
  strict?: boolean;
  only?: string[];
  skip?: string[];
  knownFailing?: string;
  config?: string;
  /** Built-in mode only: run the reference gateway with these one-defect mutations. */
  defect?: string[];
  concurrency?: number;
  /** Stop a property (generation and shrinking) after this long. */
  propertyBudgetMs?: number;
  /** Wait before the one retry of a case whose provider the gateway skipped (breaker, cooldown). */
  settleMs?: number;
  /** A shell command run before every upstream case: the gateway's reset hook. */
  betweenCases?: string;
  /** How long a gateway that stopped accepting connections gets to come back. */
  restartWaitMs?: number;
  /** The CLI's `--quiet`: no progress on stderr. The engine itself never prints. */
  quiet?: boolean;
  /** `--header 'name: value'` (repeatable); values may use the templates of suites/templates.ts. */
  header?: string[];
}

export interface HarnessOutcome {
  /** 0 passed, 1 failed, 2 nothing judged (setup problem, bad selection), 130/143 interrupted. */
  exitCode: 0 | 1 | 2 | 130 | 143;
  /** Every line the run printed, sanitized. */
  output: string;
  result?: RunResult;
  profile: Profile;
  target?: Target;
}

/** What a caller hears while the run goes. */
export interface RunHooks {
  /** Each line as the run says it, sanitized (the CLI prints them). */
  onLine?(line: string): void;
  /** After every generated case of every property. */
  onCase?(p: CaseProgress): void;
  /** After every property, with its outcome (a reason is sanitized). */
  onProperty?(p: PropertyOutcome): void;
  /**
   * Aborting it stops the run after the cases in flight and writes the partial report. Its reason names
   * the stop: `"SIGTERM"` answers 143, anything else 130.
   */
  signal?: AbortSignal;
}

/** The target keys the flags give, and the headers. */
function targetFlagsOf(flags: RunFlags): TargetInput {
  const given: TargetInput = {
    config: flags.config,
    headers: Object.fromEntries((flags.header ?? []).map(parseHeaderFlag)),
  };
  for (const k of TARGET_KEYS) given[k.field] = flags[k.field];
  return given;
}

/**
 * Runs the harness once; `faultline run`, `npm start`, `run()` and the project's tests all come through
 * here. Its HTTP connections are its own and closed when it returns.
 */
export function runHarness(
  flags: RunFlags,
  env: NodeJS.ProcessEnv = process.env,
  hooks: RunHooks = {},
): Promise<HarnessOutcome> {
  return withHttpPool(() => runOnce(flags, env, hooks));
}

async function runOnce(flags: RunFlags, env: NodeJS.ProcessEnv, hooks: RunHooks): Promise<HarnessOutcome> {
  refuseEmpty(flags, env);
  const unmatched = checkSelection(flags.only, flags.skip);
  let profile = loadProfile(flags.profile);
  // Read with the other files given, before anything starts: a bad list costs no gateway start or preflight.
  const knownFailing = flags.knownFailing ? readKnownFailing(flags.knownFailing) : [];
  const closers: Array<() => Promise<void>> = [];
  const lines: string[] = [];
  // Every line the run says goes through one sanitizer: the target's secrets out, control bytes escaped.
  let clean = sanitizer([]);
  const say = (s: string) => {
    const safe = clean(s);
    lines.push(safe);
    hooks.onLine?.(safe);
  };
  const reportDir = flags.report ?? "reports/faultline";
  try {
    const opened = await openTarget(targetFlagsOf(flags), profile, env, flags.defect ?? []);
    closers.push(() => opened.close());
    const { builtin, target: configured } = opened;
    let target = configured;
    clean = sanitizer(targetSecrets(target));
    if (builtin)
      say(
        `faultline: no gateway given (--gateway, FAULTLINE_GATEWAY, --config): running the built-in reference gateway ${target.gateway} (profile ${profile.name}${flags.defect?.length ? `, defects ${flags.defect.join(",")}` : ""}) in front of mock ${target.mock}`,
      );
    for (const p of unmatched) say(`faultline: --only '${p}' matches no check`);
    const deadline = target.deadlineMs ?? profile.deadlineMs;
    const seed = flags.seed ?? Math.floor(Math.random() * 2 ** 31);
    const started = Date.now();
    const report = (result: RunResult) =>
      writeReport(reportDir, result, target, profile, !!flags.strict, {
        replayArgs: replayArgs(flags, target, builtin),
        rerun: rerunCommand(flags, target, builtin, seed),
        cli: CLI,
        caseTarget: {
          model: target.model,
          chatPath: target.chatPath,
          auth: target.auth,
          headers: configured.headers,
          deadlineMs: target.deadlineMs,
        },
      });
    const stop = whenAborted(hooks.signal);
    /** A run that cannot exercise the gateway: the diagnosis and its fix, a setup report, exit 2. */
    const setupError = (problems: SetupProblem[], extra: Partial<RunResult> = {}): HarnessOutcome => {
      const result: RunResult = {
        seed,
        properties: [],
        checks: [],
        durationMs: Date.now() - started,
        setup: problems,
        ...extra,
      };
      report(result);
      say(formatSetup(problems, reportDir));
      return { exitCode: 2, output: lines.join("\n"), result, profile, target };
    };
    let prepared: Awaited<ReturnType<typeof prepareTarget>>;
    try {
      prepared = await prepareTarget(target, profile, env.FAULTLINE_MOCK_TOKEN);
    } catch (e) {
      if (!(e instanceof MockUnreachable)) throw e;
      return setupError([
        {
          id: "setup.mock_down",
          message: e.message,
          fix: `start the mock (${CLI} mock) or pass its URL with --mock`,
        },
      ]);
    }
    ({ target, profile } = prepared);
    clean = sanitizer(targetSecrets(target));
    const { mock, providers } = prepared;
    if (mock) say(`faultline: mock providers ${providers.join(", ")}`);
    if (target.auth === "none") {
      say(
        "faultline: the target has no client authentication (auth: none); REJ-001 reports whether the gateway accepts any credential",
      );
    }
    const checked = await raceStop(
      preflight({
        target,
        profile,
        mock,
        providers,
        dialects: prepared.dialects,
        deadlineMs: Math.min(deadline + 2_000, 30_000),
        streams: allChecks().some(
          (c) =>
            c.id.startsWith("STR-") &&
            (!flags.only?.length || matchesPattern(c.id, flags.only)) &&
            !(flags.skip?.length && matchesPattern(c.id, flags.skip)),
        ),
        mockToken: env.FAULTLINE_MOCK_TOKEN,
      }),
      stop,
    );
    if ("signal" in checked) {
      const result: RunResult = {
        seed,
        properties: [],
        checks: [],
        durationMs: Date.now() - started,
        stopped: { reason: `interrupted by ${checked.signal} during preflight` },
      };
      report(result);
      say(`faultline: ${result.stopped!.reason}; report written to ${reportDir}/`);
      return { exitCode: signalExitCode(checked.signal), output: lines.join("\n"), result, profile, target };
    }
    const pre = checked.value;
    if (pre.problems.length) return setupError(pre.problems, { preflight: pre.summary });
    for (const l of formatPreflight(pre.summary)) say(l);
    say(`faultline: seed ${seed} (replay with --seed ${seed})`);
    const ctx = runContext(prepared, seed, flags.runs ?? 25);
    const finished: PropertyOutcome[] = [];
    const partial = (): RunResult => ({
      seed,
      properties: finished,
      checks: [],
      durationMs: Date.now() - started,
    });
    let ran: Awaited<ReturnType<typeof runUntilStopped>>;
    try {
      ran = await runUntilStopped(
        (signal) =>
          runSuites(SUITES, ctx, {
            checks: allChecks(),
            only: flags.only,
            skip: flags.skip,
            concurrency: flags.concurrency,
            // The built-in gateway keeps no state between requests (no breaker, no cooldown): nothing one
            // upstream case does can spoil another's, so they need not wait for each other.
            upstreamConcurrency: flags.concurrency ?? (builtin ? BUILTIN_UPSTREAM_CONCURRENCY : undefined),
            propertyBudgetMs: flags.propertyBudgetMs,
            settleMs: flags.settleMs,
            betweenCases: flags.betweenCases,
            restartWaitMs: flags.restartWaitMs,
            signal,
            onCase: hooks.onCase,
            onProperty: (p) => {
              finished.push(p);
              hooks.onProperty?.(p.reason ? { ...p, reason: clean(p.reason) } : p);
            },
          }),
        stop,
        partial,
      );
    } catch (e) {
      // Faultline itself failed: CI still gets a report that says so, then the error surfaces (exit 3).
      report({ ...partial(), stopped: { reason: `faultline failed: ${(e as Error).message}` } });
      throw e;
    }
    const { interrupted } = ran;
    const known = applyKnownFailing({ ...ran.result, preflight: pre.summary }, knownFailing);
    const { result } = known;
    // The report adds each violation's case file and replay command; the console prints those.
    const reported = report(result);
    say(
      formatRun(reported, target, profile.name, !!flags.strict, rerunCommand(flags, target, builtin, seed)),
    );
    let exitCode: HarnessOutcome["exitCode"] = interrupted
      ? signalExitCode(interrupted)
      : verdictOf(result, !!flags.strict).exitCode;
    if (known.tolerated.length) say(`faultline: known failing, tolerated: ${known.tolerated.join(", ")}`);
    if (known.stale.length) {
      say(
        `faultline: known-failing list is stale: ${known.stale.join(", ")} now pass; remove them from ${flags.knownFailing}`,
      );
      if (!interrupted) exitCode = 1;
    }
    say(`faultline: report written to ${reportDir}/ (report.json, junit.xml, summary.md)`);
    return { exitCode, output: lines.join("\n"), result: reported, profile, target };
  } finally {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  }
}
