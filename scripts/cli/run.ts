import type { Command } from "commander";
import { allChecks } from "../../suites/checks/index.ts";
import { UsageError } from "../../suites/errors.ts";
import { startBuiltin } from "../../suites/harness/builtin.ts";
import type { RunContext } from "../../suites/harness/context.ts";
import { closeHttp } from "../../suites/harness/http.ts";
import { CLI, preflight } from "../../suites/harness/preflight.ts";
import { MockUnreachable, prepareTarget } from "../../suites/harness/prepare.ts";
import type { PropertyOutcome, SetupProblem } from "../../suites/harness/result.ts";
import { matchesPattern, type RunResult, runSuites } from "../../suites/harness/runner.ts";
import { SUITES } from "../../suites/index.ts";
import { applyKnownFailing, readKnownFailing } from "../../suites/known-failing.ts";
import { loadProfile } from "../../suites/profile/load.ts";
import type { Profile } from "../../suites/profile/schema.ts";
import { paintSummary } from "../../suites/report/colour.ts";
import { formatPreflight, formatRun, formatSetup } from "../../suites/report/console.ts";
import { writeReport } from "../../suites/report/files.ts";
import { sanitizer } from "../../suites/report/safe-text.ts";
import { verdictOf } from "../../suites/report/verdict.ts";
import { parseHeaderFlag, resolveTarget, type Target, targetSecrets } from "../../suites/target.ts";
import { intOption } from "./options.ts";
import {
  checkSelection,
  onStopSignal,
  raceStop,
  replayArgs,
  rerunCommand,
  runUntilStopped,
  signalExitCode,
} from "./run-support.ts";

export interface RunFlags {
  gateway?: string;
  profile: string;
  mock?: string;
  apiKey?: string;
  model?: string;
  brokeKey?: string;
  limitedKey?: string;
  otherApiKey?: string;
  concurrencyKey?: string;
  disabledModel?: string;
  deadlineMs?: number;
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
  quiet?: boolean;
  /** `--header 'name: value'` (repeatable); values may use the templates of suites/templates.ts. */
  header?: string[];
  /** The gateway's chat path, when it differs from the profile's. */
  chatPath?: string;
  /** `none` for a gateway without client authentication. */
  auth?: string;
}

export interface HarnessOutcome {
  /** 0 passed, 1 failed, 2 nothing judged (setup problem, bad selection), 130/143 interrupted. */
  exitCode: 0 | 1 | 2 | 130 | 143;
  output: string;
  result?: RunResult;
  profile: Profile;
  target?: Target;
}

export interface HarnessHooks {
  /** The CLI's: on SIGINT/SIGTERM, stop the run, write the partial report and answer 130/143. */
  stopOnSignal?: boolean;
}

/** An empty URL is an unset CI variable, never "run the built-in gateway". */
function refuseEmpty(flags: RunFlags, env: NodeJS.ProcessEnv): void {
  const hint = "leave it out entirely to run the built-in reference gateway";
  if (flags.gateway === "")
    throw new UsageError(
      `--gateway: expected the gateway's URL, saw an empty string (an unset variable?); ${hint}`,
    );
  if (flags.gateway === undefined && env.FAULTLINE_GATEWAY === "")
    throw new UsageError(`FAULTLINE_GATEWAY is set but empty: expected the gateway's URL; ${hint}`);
  if (flags.mock === "")
    throw new UsageError("--mock: expected the mock's URL, saw an empty string (an unset variable?)");
}

/** Runs the harness once; `faultline run`, `npm start` and the project's tests all come through here. */
export async function runHarness(
  flags: RunFlags,
  env: NodeJS.ProcessEnv = process.env,
  hooks: HarnessHooks = {},
): Promise<HarnessOutcome> {
  refuseEmpty(flags, env);
  const unmatched = checkSelection(flags.only, flags.skip);
  let profile = loadProfile(flags.profile);
  const closers: Array<() => Promise<void>> = [];
  const lines: string[] = [];
  // Every line the run prints goes through one sanitizer: the target's secrets out, control bytes escaped.
  let clean = sanitizer([]);
  const say = (s: string) => {
    const safe = clean(s);
    lines.push(safe);
    // Colour goes on after the sanitizer, so its escapes are the only ones that reach the terminal.
    if (!flags.quiet) process.stdout.write(`${paintSummary(safe)}\n`);
  };
  const reportDir = flags.report ?? "reports/faultline";
  try {
    const builtin =
      flags.gateway === undefined &&
      env.FAULTLINE_GATEWAY === undefined &&
      !flags.config &&
      !env.FAULTLINE_CONFIG;
    if (!builtin && flags.defect?.length)
      throw new UsageError(
        "--defect applies to the built-in reference gateway only; drop --gateway to use it",
      );
    let targetFlags: Parameters<typeof resolveTarget>[0] = {
      gateway: flags.gateway,
      mock: flags.mock,
      apiKey: flags.apiKey,
      model: flags.model,
      brokeKey: flags.brokeKey,
      limitedKey: flags.limitedKey,
      otherApiKey: flags.otherApiKey,
      concurrencyKey: flags.concurrencyKey,
      disabledModel: flags.disabledModel,
      deadlineMs: flags.deadlineMs,
      config: flags.config,
      chatPath: flags.chatPath,
      auth: flags.auth,
      headers: Object.fromEntries((flags.header ?? []).map(parseHeaderFlag)),
    };
    if (builtin) {
      const setup = await startBuiltin(profile, flags.defect ?? []);
      closers.push(() => setup.close());
      const t = setup.target;
      clean = sanitizer(targetSecrets(t));
      say(
        `faultline: no gateway given (--gateway, FAULTLINE_GATEWAY, --config): running the built-in reference gateway ${t.gateway} (profile ${profile.name}${flags.defect?.length ? `, defects ${flags.defect.join(",")}` : ""}) in front of mock ${t.mock}`,
      );
      targetFlags = {
        ...targetFlags,
        gateway: t.gateway,
        mock: t.mock,
        apiKey: flags.apiKey ?? t.apiKey,
        model: flags.model ?? t.model,
        brokeKey: flags.brokeKey ?? t.brokeKey,
        limitedKey: flags.limitedKey ?? t.limitedKey,
        otherApiKey: flags.otherApiKey ?? t.otherApiKey,
        concurrencyKey: flags.concurrencyKey ?? t.concurrencyKey,
        disabledModel: flags.disabledModel ?? t.disabledModel,
        deadlineMs: flags.deadlineMs ?? t.deadlineMs,
      };
    }
    const configured = resolveTarget(targetFlags, builtin ? {} : env);
    let target = configured;
    clean = sanitizer(targetSecrets(target));
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
    const stop = hooks.stopOnSignal ? onStopSignal() : undefined;
    closers.push(async () => stop?.disarm());
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
      stop?.signal,
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
    const knownFailing = flags.knownFailing ? readKnownFailing(flags.knownFailing) : [];
    say(`faultline: seed ${seed} (replay with --seed ${seed})`);
    const ctx: RunContext = {
      profile,
      target,
      mock,
      seed,
      runs: flags.runs ?? 25,
      harnessDeadlineMs: deadline + 2_000,
      providers,
    };
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
            only: flags.only,
            skip: flags.skip,
            concurrency: flags.concurrency,
            propertyBudgetMs: flags.propertyBudgetMs,
            settleMs: flags.settleMs,
            betweenCases: flags.betweenCases,
            restartWaitMs: flags.restartWaitMs,
            signal,
            onProperty: (p) => finished.push(p),
          }),
        stop?.signal,
        partial,
      );
    } catch (e) {
      // Faultline itself failed: CI still gets a report that says so, then the error surfaces (exit 3).
      report({ ...partial(), stopped: { reason: `faultline failed: ${(e as Error).message}` } });
      throw e;
    }
    const { result, interrupted } = ran;
    result.preflight = pre.summary;
    const known = applyKnownFailing(result, knownFailing);
    report(result);
    say(formatRun(result, target, profile.name, !!flags.strict, rerunCommand(flags, target, builtin, seed)));
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
    return { exitCode, output: lines.join("\n"), result, profile, target };
  } finally {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  }
}

const collect = (v: string, prev: string[] = []) => [...prev, ...v.split(",").filter(Boolean)];
const collectWhole = (v: string, prev: string[] = []) => [...prev, v];

export function registerRunCommand(program: Command): void {
  program
    .command("run", { isDefault: false })
    .description(
      "run the conformance suites against a gateway (with no --gateway: the built-in reference gateway and mock)",
    )
    .option("--gateway <url>", "the gateway under test (env FAULTLINE_GATEWAY)")
    .option(
      "--profile <name|path>",
      "the gateway's contract: a built-in profile name or a YAML/JSON file",
      "lumenfall",
    )
    .option(
      "--mock <url>",
      "the mock's base URL; upstream suites are skipped without it (env FAULTLINE_MOCK)",
    )
    .option("--api-key <key>", "a valid client key (env FAULTLINE_API_KEY)")
    .option("--model <model>", "a model the gateway routes to the mock's providers (env FAULTLINE_MODEL)")
    .option("--broke-key <key>", "a key with no balance (env FAULTLINE_BROKE_KEY)")
    .option("--limited-key <key>", "a key that is over its rate limit (env FAULTLINE_LIMITED_KEY)")
    .option(
      "--other-api-key <key>",
      "a second valid client key, for idempotency and task scoping (env FAULTLINE_OTHER_API_KEY)",
    )
    .option(
      "--concurrency-key <key>",
      "a key limited to one request in flight (env FAULTLINE_CONCURRENCY_KEY)",
    )
    .option("--disabled-model <model>", "a model that exists but is disabled (env FAULTLINE_DISABLED_MODEL)")
    .option(
      "--deadline-ms <n>",
      "the gateway must answer within this long (default: the profile's)",
      intOption("--deadline-ms", 1, 600_000),
    )
    .option("--config <file>", "a YAML/JSON file with the target's fields")
    .option(
      "--header <name: value>",
      "an extra request header (repeatable); {{mock.providers.alpha}}, {{upstreamKey.alpha}} … are filled in",
      collectWhole,
    )
    .option(
      "--chat-path <path>",
      "the gateway's chat path, when it differs from the profile's (env FAULTLINE_CHAT_PATH)",
    )
    .option("--auth <key|none>", "none: the gateway has no client authentication (env FAULTLINE_AUTH)")
    .option(
      "--report <dir>",
      "where report.json, junit.xml, summary.md and case files go",
      "reports/faultline",
    )
    .option(
      "--seed <n>",
      "seed for every generated case (printed on every run)",
      intOption("--seed", 0, 2 ** 31 - 1),
    )
    .option("--runs <n>", "generated cases per property", intOption("--runs", 1, 10_000))
    .option("--strict", "should-level failures fail the run too")
    .option("--only <patterns>", "run only checks whose id matches (ENV-*,FO-001)", collect)
    .option("--skip <patterns>", "skip checks whose id matches", collect)
    .option(
      "--known-failing <file>",
      "checks allowed to fail; a listed check that passes fails the run as stale",
    )
    .option(
      "--defect <id>",
      "built-in mode: run the reference gateway with a one-defect mutation (repeatable)",
      collect,
    )
    .option(
      "--concurrency <n>",
      "properties run at once (default: black-box 4, upstream 1, so cases cannot trip each other's breakers)",
      intOption("--concurrency", 1, 64),
    )
    .option(
      "--settle-ms <n>",
      "when the gateway skipped the provider a case targets (a breaker, a cooldown), retry the case once after this long (default 0)",
      intOption("--settle-ms", 0, 600_000),
    )
    .option(
      "--between-cases <cmd>",
      "a shell command run before every upstream case (reset the gateway's state); its failure is a setup error",
    )
    .option(
      "--restart-wait-ms <n>",
      "how long a gateway that stopped accepting connections gets to come back before the run stops (default 10000)",
      intOption("--restart-wait-ms", 0, 600_000),
    )
    .option(
      "--property-budget-ms <n>",
      "stop generating and shrinking a property after this long",
      intOption("--property-budget-ms", 100, 3_600_000),
    )
    .action(async (o: RunFlags) => {
      const outcome = await runHarness(o, process.env, { stopOnSignal: true });
      await closeHttp();
      process.exit(outcome.exitCode);
    });
}
