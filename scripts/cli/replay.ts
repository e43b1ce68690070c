import type { Command } from "commander";
import { GATEWAY_DEFAULTS } from "../../mocks/gateway/index.ts";
import { fillSecrets, readCaseFile, withTargetHeaders } from "../../suites/case-file.ts";
import { check } from "../../suites/checks/index.ts";
import { UsageError } from "../../suites/errors.ts";
import { BUILTIN, startBuiltin } from "../../suites/harness/builtin.ts";
import { execute } from "../../suites/harness/execute.ts";
import { closeHttp } from "../../suites/harness/http.ts";
import { prepareTarget } from "../../suites/harness/prepare.ts";
import { loadProfile } from "../../suites/profile/load.ts";
import { familyProfile } from "../../suites/profile/schema.ts";
import { resolveTarget } from "../../suites/target.ts";
import { intOption } from "./options.ts";

export interface ReplayFlags {
  gateway?: string;
  mock?: string;
  profile?: string;
  apiKey?: string;
  brokeKey?: string;
  limitedKey?: string;
  otherApiKey?: string;
  config?: string;
  concurrencyKey?: string;
  deadlineMs?: number;
  defect?: string[];
}

export interface ReplayOutcome {
  fixed: boolean;
  output: string;
}

/** Reruns one case file and judges it by the check it failed: FIXED or STILL FAILING. */
export async function replayCase(
  file: string,
  flags: ReplayFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ReplayOutcome> {
  const cf = readCaseFile(file);
  const profile = familyProfile(loadProfile(flags.profile ?? cf.profile), cf.case.family ?? "default");
  const closers: Array<() => Promise<void>> = [];
  try {
    let gateway = flags.gateway ?? env.FAULTLINE_GATEWAY;
    let mockUrl = flags.mock ?? env.FAULTLINE_MOCK;
    const builtin = !gateway;
    if (builtin) {
      const setup = await startBuiltin(profile, flags.defect ?? []);
      closers.push(() => setup.close());
      gateway = setup.target.gateway;
      mockUrl = setup.target.mock;
    } else if (flags.defect?.length) {
      throw new UsageError(
        "--defect applies to the built-in reference gateway only; drop --gateway to use it",
      );
    }
    const target = resolveTarget(
      {
        gateway,
        mock: mockUrl,
        apiKey: flags.apiKey ?? (builtin ? GATEWAY_DEFAULTS.apiKeys[0] : undefined),
        brokeKey: flags.brokeKey ?? (builtin ? GATEWAY_DEFAULTS.brokeKey : undefined),
        limitedKey: flags.limitedKey ?? (builtin ? GATEWAY_DEFAULTS.limitedKey : undefined),
        otherApiKey: flags.otherApiKey ?? (builtin ? GATEWAY_DEFAULTS.otherApiKey : undefined),
        concurrencyKey: flags.concurrencyKey ?? (builtin ? GATEWAY_DEFAULTS.concurrencyKey : undefined),
        model: "from-case-file",
        config: flags.config,
        deadlineMs: flags.deadlineMs ?? (builtin ? BUILTIN.deadlineMs + 2_000 : undefined),
      },
      builtin ? {} : env,
    );
    if (cf.case.plan && !target.mock)
      throw new UsageError("this case registers a plan with the mock: pass --mock URL");
    const {
      target: prepared,
      mock,
      providers,
    } = await prepareTarget(target, profile, env.FAULTLINE_MOCK_TOKEN);
    const deadline = prepared.deadlineMs ?? profile.deadlineMs;
    // Headers rendered from templates name the mock and keys of the run that wrote the case: the
    // replaying target's own rendering wins.
    const c = withTargetHeaders(fillSecrets(cf.case, prepared), prepared);
    const ch = check(cf.checkId);
    const ex = await execute(
      c,
      {
        profile,
        target: prepared,
        mock,
        seed: cf.seed ?? 0,
        runs: 1,
        harnessDeadlineMs: deadline + 2_000,
        providers,
      },
      [ch],
    );
    const verdict = ex.verdicts.find((v) => v.checkId === cf.checkId);
    const lines = [`faultline replay ${file}: ${cf.checkId} ${ch.title} (${c.condition})`];
    if (verdict)
      lines.push(`STILL FAILING`, `  Expected: ${verdict.expected}`, `  Received: ${verdict.received}`);
    else
      lines.push(
        ex.evaluated.includes(cf.checkId)
          ? "FIXED"
          : `FIXED (the check no longer applies: status ${ex.exchange.status})`,
      );
    return { fixed: !verdict, output: lines.join("\n") };
  } finally {
    for (const c of closers.reverse()) await c().catch(() => undefined);
    await closeHttp().catch(() => undefined);
  }
}

const collect = (v: string, prev: string[] = []) => [...prev, ...v.split(",").filter(Boolean)];

export function registerReplayCommand(program: Command): void {
  program
    .command("replay <case>")
    .description(
      "rerun one case file from a report and say FIXED or STILL FAILING (no --gateway: the built-in reference gateway)",
    )
    .option("--gateway <url>", "the gateway under test (env FAULTLINE_GATEWAY)")
    .option("--mock <url>", "the mock's base URL, for cases with a plan (env FAULTLINE_MOCK)")
    .option("--profile <name|path>", "override the profile named in the case file")
    .option("--api-key <key>", "a valid client key (env FAULTLINE_API_KEY)")
    .option("--broke-key <key>", "the broke key, if the case uses it")
    .option("--limited-key <key>", "the limited key, if the case uses it")
    .option("--other-api-key <key>", "the second client key, if the case uses it")
    .option("--config <file>", "a target file (YAML/JSON), e.g. with header templates")
    .option("--deadline-ms <n>", "the gateway's deadline", intOption("--deadline-ms", 1, 600_000))
    .option("--defect <id>", "built-in mode: reference gateway with a one-defect mutation", collect)
    .action(async (file: string, o: ReplayFlags) => {
      const r = await replayCase(file, o);
      process.stdout.write(`${r.output}\n`);
      process.exit(r.fixed ? 0 : 1);
    });
}
