// The engine behind `faultline replay` and `replay()` of faultline/node: one case file sent again and
// judged by the check it failed. It prints nothing; the verdict and its lines come back as data.

import { UsageError } from "../core/errors.ts";
import { describeZodError, loadProfile } from "../core/profile/load.ts";
import { familyProfile, Profile } from "../core/profile/schema.ts";
import {
  fromEnv,
  SECRET_KEYS,
  type SecretField,
  type TARGET_KEYS,
  type TargetKeyValues,
  targetKey,
} from "../core/target-keys.ts";
import {
  type CaseFile,
  fillSecrets,
  fillSecretText,
  readCaseFile,
  slotSource,
  withTargetHeaders,
} from "../suites/case-file.ts";
import { check } from "../suites/checks/index.ts";
import { execute } from "../suites/harness/execute.ts";
import { withHttpPool } from "../suites/harness/http.ts";
import type { Execution } from "../suites/harness/judge.ts";
import { type Probe, probeGateway } from "../suites/harness/liveness.ts";
import { MockUnreachable, prepareTarget } from "../suites/harness/prepare.ts";
import { sanitizer } from "../suites/report/safe-text.ts";
import { resolveTarget, type Target, targetSecrets } from "../suites/target.ts";
import { startBuiltin } from "./builtin.ts";

/** The target keys replay takes (core/target-keys.ts, `replay: true`). */
type ReplayKey = Extract<(typeof TARGET_KEYS)[number], { replay: true }>["field"];

/** The flags of `faultline replay`: the case file carries the model, paths, headers and plan. */
export interface ReplayFlags extends Pick<TargetKeyValues, ReplayKey> {
  profile?: string;
  config?: string;
  defect?: string[];
}

export type ReplayVerdict = "FIXED" | "STILL FAILING" | "COULD NOT RUN";

export interface ReplayOutcome {
  verdict: ReplayVerdict;
  /** FIXED 0, STILL FAILING 1, COULD NOT RUN 2. */
  exitCode: 0 | 1 | 2;
  fixed: boolean;
  output: string;
}

/** The profile the case was judged against: `--profile` wins, then the contents the case file carries. */
function profileOf(cf: CaseFile, flags: ReplayFlags): Profile {
  if (flags.profile) return loadProfile(flags.profile);
  if (cf.profileContents === undefined) return loadProfile(cf.profile);
  const parsed = Profile.safeParse(cf.profileContents);
  if (!parsed.success)
    throw new UsageError(
      `the case file's profile is not valid:\n${describeZodError("profileContents", parsed.error)}`,
    );
  return parsed.data;
}

/** Each secret: its flag, else its FAULTLINE_* variable (empty counts as not given), else the built-in's. */
function secretsOf(
  flags: ReplayFlags,
  env: NodeJS.ProcessEnv,
  builtin: Target | undefined,
): Partial<Record<SecretField, string>> {
  return Object.fromEntries(
    SECRET_KEYS.map((k) => [k.field, flags[k.field] || env[k.env] || builtin?.[k.field] || undefined]),
  );
}

function describeProbe(p: Probe): string {
  return p.up ? `answered ${p.status}` : `${p.state === "unanswered" ? "hangs" : "down"}: ${p.detail}`;
}

/**
 * The verdict on one replay. FIXED needs a live gateway and a real answer the check judged and passed;
 * a gateway that is down or hangs, or an answer the check does not apply to, is COULD NOT RUN.
 */
function decide(cf: CaseFile, ex: Execution, after: Probe): { verdict: ReplayVerdict; why: string[] } {
  const verdict = ex.verdicts.find((v) => v.checkId === cf.checkId);
  if (cf.checkId === "LIVE-001")
    return after.up
      ? {
          verdict: "FIXED",
          why: [`the gateway still accepts connections after the case (${describeProbe(after)})`],
        }
      : { verdict: "STILL FAILING", why: [`after the case the gateway ${describeProbe(after)}`] };
  if (!after.up)
    return {
      verdict: "COULD NOT RUN",
      why: [`the gateway stopped answering during the replay (${describeProbe(after)})`],
    };
  if (verdict)
    return {
      verdict: "STILL FAILING",
      why: [`  Expected: ${verdict.expected}`, `  Received: ${verdict.received}`],
    };
  const { status, error } = ex.exchange;
  // A client that hangs up on purpose (docs/contract.md §22) gets no answer: its case is judged on the journal.
  if (status === undefined && !ex.exchange.clientLeft)
    return {
      verdict: "COULD NOT RUN",
      why: [`no answer to the case (${error?.code ?? "no response"}: ${error?.message ?? ""})`],
    };
  if (!ex.evaluated.includes(cf.checkId))
    return {
      verdict: "COULD NOT RUN",
      why: [
        `${cf.checkId} did not apply to the answer (status ${status}${ex.exchange.journal ? `, ${ex.exchange.journal.length} upstream attempt(s)` : ""}): the case no longer reaches the condition it tests`,
      ],
    };
  const answer = status === undefined ? "the client hung up before it" : `status ${status}`;
  return { verdict: "FIXED", why: [`${cf.checkId} judged the answer (${answer}) and it held`] };
}

const EXIT: Record<ReplayVerdict, 0 | 1 | 2> = { FIXED: 0, "STILL FAILING": 1, "COULD NOT RUN": 2 };

/**
 * Reruns one case file and judges it by the check it failed: FIXED, STILL FAILING or COULD NOT RUN. Its
 * HTTP connections are its own and closed when it returns.
 */
export function replayCase(
  file: string,
  flags: ReplayFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ReplayOutcome> {
  return withHttpPool(() => replayOnce(file, flags, env));
}

async function replayOnce(file: string, flags: ReplayFlags, env: NodeJS.ProcessEnv): Promise<ReplayOutcome> {
  const cf = readCaseFile(file);
  const profile = familyProfile(profileOf(cf, flags), cf.case.family ?? "default");
  const closers: Array<() => Promise<void>> = [];
  let clean = sanitizer([]);
  const head = `faultline replay ${file}: ${cf.checkId} (${cf.case.condition}${cf.case.note ? `, ${cf.case.note}` : ""})`;
  const done = (verdict: ReplayVerdict, why: string[]): ReplayOutcome => ({
    verdict,
    exitCode: EXIT[verdict],
    fixed: verdict === "FIXED",
    output: clean(
      [
        head,
        verdict === "COULD NOT RUN" ? `COULD NOT RUN (${why.join("; ")})` : verdict,
        ...(verdict === "COULD NOT RUN" ? [] : why),
      ].join("\n"),
    ),
  });
  try {
    const [gatewayKey, mockKey] = [targetKey("gateway"), targetKey("mock")];
    if (flags.gateway === "" || (flags.gateway === undefined && env[gatewayKey.env] === ""))
      throw new UsageError(
        `--gateway (or ${gatewayKey.env}) is empty: expected the gateway's URL; leave it out to replay against the built-in reference gateway`,
      );
    let gateway = flags.gateway ?? env[gatewayKey.env];
    let mockUrl = flags.mock ?? env[mockKey.env];
    let builtinFixtures: Target | undefined;
    const builtin = !gateway;
    if (builtin) {
      const setup = await startBuiltin(profile, flags.defect ?? []);
      closers.push(() => setup.close());
      builtinFixtures = setup.target;
      gateway = setup.target.gateway;
      mockUrl = setup.target.mock;
    } else if (flags.defect?.length) {
      throw new UsageError(
        "--defect applies to the built-in reference gateway only; drop --gateway to use it",
      );
    }
    const keys = secretsOf(flags, env, builtinFixtures);
    const auth = cf.target?.auth;
    const caseText = JSON.stringify(cf.case);
    if (!keys.apiKey && auth !== "none" && caseText.includes("{{apiKey}}"))
      throw new UsageError(`the case sends the client key: ${slotSource("apiKey")}`);
    const target: Target = resolveTarget(
      {
        gateway,
        mock: mockUrl,
        ...keys,
        // The schema wants a key; a case that sends none never uses this one.
        apiKey: keys.apiKey ?? "faultline-replay-no-key",
        model: cf.target?.model ?? "from-case-file",
        chatPath: builtin ? undefined : cf.target?.chatPath,
        auth: builtin ? undefined : auth,
        config: flags.config,
        headers: builtin
          ? {}
          : JSON.parse(fillSecretText(JSON.stringify(cf.target?.headers ?? {}), keys, env)),
        deadlineMs:
          flags.deadlineMs ??
          (fromEnv(targetKey("deadlineMs"), env) as number | undefined) ??
          (builtinFixtures ? builtinFixtures.deadlineMs : cf.target?.deadlineMs),
      },
      {},
    );
    clean = sanitizer(targetSecrets(target));
    if (cf.case.plan && !target.mock)
      throw new UsageError(
        "this case registers a plan with the mock: pass --mock URL (or set FAULTLINE_MOCK)",
      );
    let prepared: Awaited<ReturnType<typeof prepareTarget>>;
    try {
      prepared = await prepareTarget(target, profile, env.FAULTLINE_MOCK_TOKEN);
    } catch (e) {
      if (e instanceof MockUnreachable) return done("COULD NOT RUN", [e.message]);
      throw e;
    }
    clean = sanitizer(targetSecrets(prepared.target));
    const deadline = prepared.target.deadlineMs ?? profile.deadlineMs;
    const probeMs = Math.min(deadline + 2_000, 10_000);
    const before = await probeGateway(prepared.target, probeMs);
    if (!before.up)
      return done("COULD NOT RUN", [`gateway ${prepared.target.gateway} ${describeProbe(before)}`]);
    // Headers rendered from templates name the mock and keys of the run that wrote the case: the
    // replaying target's own rendering wins, and only then are the remaining secret slots filled.
    const c = fillSecrets(withTargetHeaders(cf.case, prepared.target), prepared.target, env);
    const ex = await execute(
      c,
      {
        profile: prepared.profile,
        target: prepared.target,
        mock: prepared.mock,
        seed: cf.seed ?? 0,
        runs: 1,
        harnessDeadlineMs: deadline + 2_000,
        providers: prepared.providers,
      },
      [check(cf.checkId)],
    );
    const after = await probeGateway(prepared.target, probeMs);
    const { verdict, why } = decide(cf, ex, after);
    return done(verdict, why);
  } finally {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  }
}
