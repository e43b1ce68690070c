import type { Level, Profile } from "../../core/profile/schema.ts";
import type { JournalEntry } from "../../mocks/journal.ts";
import { allChecks, levelOf } from "../checks/index.ts";
import type { Check, RunState } from "../checks/registry.ts";
import { judge, PLAN_PLACEHOLDER, type Verdict } from "../harness/execute.ts";
import type { CaseSpec, Exchange, RequestSpec } from "../harness/types.ts";
import type { Target } from "../target.ts";
import { exchangeOf, MARKER_SLOT, requestFor, type Sample } from "./sample.ts";

const OK_STEPS = new Set(["ok", "latency", "slow_stream"]);
const NON_RETRYABLE = new Set(["content_policy", "context_length"]);
const HANGS = new Set(["hang", "headers_then_hang", "stall"]);

type AttemptKind = "ok" | "failed" | "non_retryable" | "refused" | "unclear";

/** How the gateway's answer ended, as the client saw it. */
export interface Answered {
  /** When the answer was complete (epoch ms, this machine): an upper bound of when the gateway answered. */
  at: number;
  /** The gateway answered 2xx: it took an upstream answer. */
  ok: boolean;
}

/** Slack between the mock's clock and this process's when the two are compared (the same machine, or close). */
const CLOCK_SLACK_MS = 100;
/**
 * A last answer that took at least this share of the wait after which the gateway gave up on an earlier
 * attempt is taken as given up on too. The mock stamps times when its own event loop gets to a request,
 * which on a busy machine is hundreds of ms off the gateway's clock: the share leaves room for that, and
 * errs on the side of "given up" (never a failover finding the timing cannot support).
 */
const GAVE_UP_SHARE = 0.7;

/**
 * What one attempt was to the gateway. The journal says what the mock sent, not whether the gateway took
 * it: an answer the mock finished after the gateway had moved on came too late — the gateway's attempt
 * timeout or deadline had abandoned it, whatever the mock wrote into the closed connection. The gateway
 * moved on from an attempt when its next one began. The last one: a 2xx from the gateway says it took an
 * answer; otherwise the answer was given up on when it came after the gateway's (`answered.at`), or took
 * as long as an attempt the gateway gave up on (`gaveUpAfterMs`); with nothing to tell, it is unclear.
 */
function kindOf(
  e: JournalEntry,
  next: JournalEntry | undefined,
  answered: Answered | undefined,
  gaveUpAfterMs: number,
): AttemptKind {
  if (e.step.step === "refused") return "refused";
  if (NON_RETRYABLE.has(e.step.step)) return "non_retryable";
  if (!OK_STEPS.has(e.step.step) || e.status !== 200 || e.outcome === "client_closed") return "failed";
  const done = e.answeredAt ?? Number.POSITIVE_INFINITY;
  if (next) return done > next.receivedAt ? "failed" : "ok";
  if (!answered || answered.ok) return "ok";
  if (done > answered.at + CLOCK_SLACK_MS) return "failed";
  if (!Number.isFinite(gaveUpAfterMs)) return "unclear";
  return done - e.receivedAt >= gaveUpAfterMs * GAVE_UP_SHARE ? "failed" : "ok";
}

/** The shortest wait after which the gateway moved on from an attempt that had not answered in time. */
function gaveUpAfter(journal: JournalEntry[]): number {
  let ms = Number.POSITIVE_INFINITY;
  for (const [i, e] of journal.entries()) {
    const next = journal[i + 1];
    if (!next || e.answeredAt === undefined) continue;
    // Closed by the gateway, or still writing when the gateway had already moved on.
    if (e.outcome === "client_closed" || e.answeredAt > next.receivedAt)
      ms = Math.min(ms, next.receivedAt - e.receivedAt);
  }
  return ms;
}

/**
 * The condition a request of an outage run turned out to create, read from what the mock did to its
 * attempts (and, for the last one, how the gateway answered). The scenario decides each attempt, so the
 * condition is known only afterwards; the names are the ones `faultline run`'s upstream cases use, so the
 * same checks apply to the same situations. A request whose failed attempts did not reach every provider is
 * `upstream.failover` when a provider it did not try was answering `ok` all the while (`wouldAnswer`: the
 * scenario says so) — the gateway gave up where it should have failed over — and otherwise
 * `upstream.gave_up`: whether a later provider would have answered is unknown, so neither failover nor
 * exhaustion is judged on it. One whose last answer cannot be told taken or given up on is `upstream.unclear`.
 */
export function conditionOf(
  journal: JournalEntry[],
  providers: string[],
  answered?: Answered,
  wouldAnswer: string[] = [],
): CaseSpec["condition"] {
  if (journal.length === 0) return "upstream.unreached";
  const gaveUpAfterMs = gaveUpAfter(journal);
  const kinds = journal.map((e, i) => kindOf(e, journal[i + 1], answered, gaveUpAfterMs));
  if (kinds.includes("refused")) return "upstream.refused";
  if (kinds.includes("unclear")) return "upstream.unclear";
  if (kinds.includes("non_retryable")) return "upstream.non_retryable";
  if (kinds.at(-1) === "ok") return kinds.length > 1 ? "upstream.failover" : "upstream.ok";
  if (kinds.includes("ok")) return "upstream.mixed";
  const tried = new Set(journal.map((e) => e.provider));
  if (!providers.every((p) => tried.has(p)))
    return wouldAnswer.some((p) => !tried.has(p)) ? "upstream.failover" : "upstream.gave_up";
  return journal.every((e) => HANGS.has(e.step.step)) ? "upstream.all_hang" : "upstream.exhausted";
}

/**
 * What each provider did to this request, as a plan: replaying it puts the gateway in the same situation.
 * `wouldAnswer`: a provider the gateway did not try, though it answered `ok` then, is in the plan with `ok`.
 */
export function planOf(journal: JournalEntry[], wouldAnswer: string[] = []): NonNullable<CaseSpec["plan"]> {
  const providers: Record<string, unknown[]> = {};
  for (const e of journal) providers[e.provider] = [...(providers[e.provider] ?? []), e.step];
  const untried = wouldAnswer.find((p) => !(p in providers));
  if (untried) providers[untried] = [{ step: "ok" }];
  return { providers };
}

export interface JudgeContext {
  profile: Profile;
  target: Target;
  /** The mock's providers in the gateway's priority order. */
  providers: string[];
  template: RequestSpec;
  state: RunState;
  checks: Check[];
  /** The providers the scenario had answering `ok` at a moment (epoch ms); none when unknown. */
  upAt?: (at: number) => string[];
}

/** Every check of the registry judges every request of an outage run (REC-001 judges the timeline). */
export function outageChecks(): Check[] {
  return allChecks();
}

export interface SampleVerdict {
  condition: string;
  exchange: Exchange;
  case: CaseSpec;
  /** Verdicts that fail (must or should), with their level. */
  failing: Array<Verdict & { level: Level }>;
  evaluated: string[];
}

/**
 * The providers, in the gateway's order, that the scenario had answering `ok` from the request's first
 * attempt until the gateway answered it: had the gateway asked one of them, it would have answered. Only
 * for a request the gateway answered (a request the harness gave up on is the deadline's finding).
 */
function wouldHaveAnswered(
  s: Sample,
  journal: JournalEntry[],
  ctx: JudgeContext,
  answeredAt: number,
): string[] {
  if (!ctx.upAt || s.status === undefined || journal.length === 0) return [];
  const from = new Set(ctx.upAt(journal[0]!.receivedAt));
  const to = new Set(ctx.upAt(answeredAt));
  return ctx.providers.filter((p) => from.has(p) && to.has(p));
}

/** Judges one request of the run with every check, exactly as `faultline run` judges a case. */
export function judgeSample(
  s: Sample,
  journal: JournalEntry[],
  phase: string,
  ctx: JudgeContext,
): SampleVerdict {
  const request = requestFor(ctx.template, s.id);
  const exchange = exchangeOf(s, ctx.target.gateway + request.path, request);
  exchange.journal = journal;
  const ok = s.status !== undefined && s.status >= 200 && s.status < 300;
  const answeredAt = s.sentAt + s.elapsedMs;
  const wouldAnswer = wouldHaveAnswered(s, journal, ctx, answeredAt);
  const condition = conditionOf(journal, ctx.providers, { at: answeredAt, ok }, wouldAnswer);
  const nonRetryable = journal.find((e) => NON_RETRYABLE.has(e.step.step));
  const c: CaseSpec = {
    property: `outage.${phase}`,
    condition,
    // The replayable form: the plan marker's placeholder where the run's marker was.
    request: { ...ctx.template, body: ctx.template.body?.split(MARKER_SLOT).join(PLAN_PLACEHOLDER) },
    plan: planOf(journal, condition === "upstream.failover" ? wouldAnswer : []),
    ...(nonRetryable ? { expectStatus: [nonRetryable.status ?? 400] } : {}),
    note: `sent ${new Date(s.sentAt).toISOString()} during phase "${phase}" of an outage run`,
  };
  const ex = judge(
    { profile: ctx.profile, target: ctx.target, case: c, exchange, run: ctx.state },
    ctx.checks,
  );
  const failing = ex.verdicts
    .map((v) => ({ ...v, level: levelOf(ctx.checks.find((k) => k.id === v.checkId)!, ctx.profile) }))
    .filter((v) => v.level !== "info");
  return { condition, exchange, case: c, failing, evaluated: ex.evaluated };
}
