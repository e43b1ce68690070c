import type { Command } from "commander";
import { UsageError } from "../../suites/errors.ts";
import { startBuiltin } from "../../suites/harness/builtin.ts";
import type { RunContext } from "../../suites/harness/context.ts";
import { closeHttp, send } from "../../suites/harness/http.ts";
import { prepareTarget } from "../../suites/harness/prepare.ts";
import { type RunResult, runSuites } from "../../suites/harness/runner.ts";
import { SUITES } from "../../suites/index.ts";
import { applyKnownFailing, readKnownFailing } from "../../suites/known-failing.ts";
import { loadProfile } from "../../suites/profile/load.ts";
import type { Profile } from "../../suites/profile/schema.ts";
import { formatRun } from "../../suites/report/console.ts";
import { writeReport } from "../../suites/report/files.ts";
import { verdictOf } from "../../suites/report/verdict.ts";
import { parseHeaderFlag, resolveTarget, type Target } from "../../suites/target.ts";
import { intOption } from "./options.ts";

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
  quiet?: boolean;
  /** `--header 'name: value'` (repeatable); values may use the templates of suites/templates.ts. */
  header?: string[];
  /** The gateway's chat path, when it differs from the profile's. */
  chatPath?: string;
  /** `none` for a gateway without client authentication. */
  auth?: string;
}

export interface HarnessOutcome {
  exitCode: 0 | 1;
  output: string;
  result?: RunResult;
  profile: Profile;
  target?: Target;
}

/** Asks the gateway one harmless question first, so "down" and "hangs" get a clear message. */
async function preflight(t: Target, profile: Profile, deadlineMs: number): Promise<string | undefined> {
  const ex = await send(
    t.gateway,
    { method: "GET", path: profile.endpoints.models?.path ?? profile.endpoints.chat.path, headers: {} },
    deadlineMs,
  );
  if (ex.status !== undefined) return undefined;
  if (ex.timedOut) return `gateway ${t.gateway} did not answer within ${deadlineMs} ms; is it hanging?`;
  return `gateway ${t.gateway} is not reachable (${ex.error?.code}: ${ex.error?.message})`;
}

/** Runs the harness once; `faultline run`, `npm start` and the project's tests all come through here. */
export async function runHarness(
  flags: RunFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<HarnessOutcome> {
  let profile = loadProfile(flags.profile);
  const closers: Array<() => Promise<void>> = [];
  const lines: string[] = [];
  const say = (s: string) => {
    lines.push(s);
    if (!flags.quiet) process.stdout.write(`${s}\n`);
  };
  try {
    const builtin = !flags.gateway && !env.FAULTLINE_GATEWAY && !flags.config && !env.FAULTLINE_CONFIG;
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
      say(
        `faultline: built-in reference gateway ${t.gateway} (profile ${profile.name}${flags.defect?.length ? `, defects ${flags.defect.join(",")}` : ""}) in front of mock ${t.mock}`,
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
    let target = resolveTarget(targetFlags, builtin ? {} : env);
    const deadline = target.deadlineMs ?? profile.deadlineMs;
    const prepared = await prepareTarget(target, profile, env.FAULTLINE_MOCK_TOKEN);
    ({ target, profile } = prepared);
    const { mock, providers } = prepared;
    if (mock) say(`faultline: mock providers ${providers.join(", ")}`);
    if (target.auth === "none") {
      say(
        "faultline: the target has no client authentication (auth: none); REJ-001 reports whether the gateway accepts any credential",
      );
    }
    const down = await preflight(target, profile, Math.min(deadline, 10_000));
    if (down) {
      say(`faultline: ${down}`);
      return { exitCode: 1, output: lines.join("\n"), profile, target };
    }
    const knownFailing = flags.knownFailing ? readKnownFailing(flags.knownFailing) : [];
    const seed = flags.seed ?? Math.floor(Math.random() * 2 ** 31);
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
    const result = await runSuites(SUITES, ctx, {
      only: flags.only,
      skip: flags.skip,
      concurrency: flags.concurrency ?? 4,
      propertyBudgetMs: flags.propertyBudgetMs,
    });
    const known = applyKnownFailing(result, knownFailing);
    const reportDir = flags.report ?? "reports/faultline";
    // A built-in run's gateway is gone when the run ends: its cases replay against a new built-in one.
    const replayArgs = builtin
      ? ` --profile ${flags.profile}${flags.defect?.length ? ` --defect ${flags.defect.join(",")}` : ""}`
      : undefined;
    writeReport(reportDir, result, target, profile, !!flags.strict, replayArgs);
    say(formatRun(result, target, profile.name, !!flags.strict));
    let exitCode = verdictOf(result, !!flags.strict).exitCode;
    if (known.tolerated.length) say(`faultline: known failing, tolerated: ${known.tolerated.join(", ")}`);
    if (known.stale.length) {
      say(
        `faultline: known-failing list is stale: ${known.stale.join(", ")} now pass; remove them from ${flags.knownFailing}`,
      );
      exitCode = 1;
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
    .option("--concurrency <n>", "properties run at once", intOption("--concurrency", 1, 64))
    .option(
      "--property-budget-ms <n>",
      "stop generating and shrinking a property after this long",
      intOption("--property-budget-ms", 100, 3_600_000),
    )
    .action(async (o: RunFlags) => {
      const outcome = await runHarness(o);
      await closeHttp();
      process.exit(outcome.exitCode);
    });
}
