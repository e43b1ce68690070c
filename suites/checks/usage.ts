import type { Profile } from "../../core/profile/schema.ts";
import type { JournalEntry } from "../../mocks/journal.ts";
import type { DialectId } from "../../mocks/types.ts";
import type { Exchange, SseEvent } from "../harness/types.ts";
import { defineCheck } from "./registry.ts";
import { completionText, endedNormally, is2xx, show } from "./util.ts";

// What a 2xx completion says about where it came from: its text, its id and its usage, read in the client
// dialect's own fields. Shared by XTALK-001 (docs/contract.md §20) and USE-001 (§21).

/** Every tagged completion text of the mock inside an answer (provider names are path segments: no spaces). */
export const TAGGED = /Hello from [^\s()]+ \([0-9a-f]{4}-[0-9a-f]+\)\./g;

/** One 2xx completion a case received, and the journal of the plan its request carried. */
export interface TracedAnswer {
  /** The step's name in a multi-request case; undefined for the case's own exchange. */
  step?: string;
  exchange: Exchange;
  journal: JournalEntry[];
  text: string;
}

/**
 * Every whole completion of a case with a journal to trace it to: each step that had a plan of its own, or
 * else the case's exchange. A stream counts only when it ended normally: one cut short carries part of a
 * completion, which neither check can hold to a whole one.
 */
export function tracedAnswers(ex: Exchange, p: Profile): TracedAnswer[] {
  const own = (ex.steps ?? []).filter((s) => s.exchange && s.journal);
  const pairs = own.length
    ? own.map((s) => ({ step: s.name, exchange: s.exchange!, journal: s.journal! }))
    : ex.journal
      ? [{ step: undefined, exchange: ex, journal: ex.journal }]
      : [];
  const out: TracedAnswer[] = [];
  for (const a of pairs) {
    if (!is2xx(a.exchange.status)) continue;
    if (a.exchange.events && !endedNormally(a.exchange, p)) continue;
    const text = completionText(a.exchange, p);
    if (text === undefined || text === "") continue;
    // Nothing to trace it to, unless it is one of several requests in flight together and carries a
    // completion of the mock's: another request's, handed over without asking a provider. (A lone case
    // whose journal is empty is inconclusive: the gateway answered from its own state, §27.)
    if (!a.journal.some((e) => e.completionText !== undefined) && !(a.step && text.match(TAGGED))) continue;
    out.push({ ...a, text });
  }
  return out;
}

/** The attempts of a journal that produced a completion. */
export function produced(journal: JournalEntry[]): JournalEntry[] {
  return journal.filter((e) => e.completionText !== undefined);
}

function parse(data: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(data) as unknown;
    return typeof v === "object" && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const obj = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === "object" && v !== null ? (v as Record<string, unknown>) : undefined;
const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

function eventsData(events: SseEvent[]): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const e of events) {
    const d = parse(e.data);
    if (d) out.push(d);
  }
  return out;
}

/** The completion's id in the client's dialect: OpenAI's `id`, Anthropic's message id, Gemini's `responseId`. */
export function answerId(ex: Exchange, dialect: DialectId): string | undefined {
  if (!ex.events) {
    const j = obj(ex.json);
    return dialect === "gemini" ? str(j?.responseId) : str(j?.id);
  }
  for (const d of eventsData(ex.events)) {
    const id =
      dialect === "anthropic"
        ? str(obj(d.message)?.id)
        : dialect === "gemini"
          ? str(d.responseId)
          : str(d.id);
    if (id) return id;
  }
  return undefined;
}

export interface ReportedUsage {
  promptTokens?: number;
  completionTokens?: number;
}

/** OpenAI's usage fields, Anthropic's, or Gemini's usageMetadata, as neutral counts. */
function usageFields(u: Record<string, unknown> | undefined, dialect: DialectId): ReportedUsage {
  if (!u) return {};
  if (dialect === "anthropic")
    return { promptTokens: num(u.input_tokens), completionTokens: num(u.output_tokens) };
  if (dialect === "gemini")
    return { promptTokens: num(u.promptTokenCount), completionTokens: num(u.candidatesTokenCount) };
  return { promptTokens: num(u.prompt_tokens), completionTokens: num(u.completion_tokens) };
}

/**
 * The usage a completion reports, in the client's dialect; undefined when it reports none. A stream's is
 * its last report: OpenAI's usage chunk, Anthropic's message_start (input) and last message_delta (output),
 * Gemini's last usageMetadata.
 */
export function answerUsage(ex: Exchange, dialect: DialectId): ReportedUsage | undefined {
  let u: ReportedUsage = {};
  if (!ex.events) {
    const j = obj(ex.json);
    u = usageFields(obj(dialect === "gemini" ? j?.usageMetadata : j?.usage), dialect);
  } else {
    for (const d of eventsData(ex.events)) {
      const found =
        dialect === "anthropic"
          ? usageFields(obj(d.type === "message_start" ? obj(d.message)?.usage : d.usage), dialect)
          : usageFields(obj(dialect === "gemini" ? d.usageMetadata : d.usage), dialect);
      if (found.promptTokens !== undefined) u.promptTokens = found.promptTokens;
      if (found.completionTokens !== undefined) u.completionTokens = found.completionTokens;
    }
  }
  return u.promptTokens === undefined && u.completionTokens === undefined ? undefined : u;
}

const where = (a: TracedAnswer) => (a.step ? `request ${a.step}: ` : "");

/** What differs between the usage an answer reports and the provider's; undefined when they agree. */
function usageDiff(
  reported: ReportedUsage,
  provider: NonNullable<JournalEntry["usage"]>,
): string | undefined {
  const diffs: string[] = [];
  if (reported.promptTokens !== undefined && reported.promptTokens !== provider.promptTokens)
    diffs.push(`prompt tokens ${reported.promptTokens}, the provider's ${provider.promptTokens}`);
  if (reported.completionTokens !== undefined && reported.completionTokens !== provider.completionTokens)
    diffs.push(`completion tokens ${reported.completionTokens}, the provider's ${provider.completionTokens}`);
  return diffs.length ? diffs.join("; ") : undefined;
}

defineCheck({
  id: "USE-001",
  level: "should",
  title: "A completion arrives intact: the provider's content and usage",
  sentence:
    "Content and usage in a 2xx are the provider's (no inflated token counts, no rewritten text), allowing the profile's declared transformations.",
  source: "docs/contract.md §21 A completion arrives intact",
  fix: "Pass the provider's text and its usage numbers through unchanged (translate field names between dialects, never the values); bill your own surcharges elsewhere, not in the provider's token counts.",
  applies: (j) => tracedAnswers(j.exchange, j.profile).length > 0,
  judge({ exchange: ex, profile: p }) {
    const dialect = p.endpoints.chat.dialect;
    const problems: string[] = [];
    const expected: string[] = [];
    for (const a of tracedAnswers(ex, p)) {
      const attempts = produced(a.journal);
      if (attempts.length === 0) continue;
      const source = attempts.find((e) => e.completionText === a.text);
      if (!source) {
        problems.push(`${where(a)}text ${show(a.text)}`);
        expected.push(
          `${where(a)}the text of a provider's completion: ${attempts.map((e) => show(e.completionText)).join(" or ")}`,
        );
        continue;
      }
      const reported = answerUsage(a.exchange, dialect);
      // A stream the provider reported no usage for (OpenAI without include_usage) leaves the gateway to
      // count for itself: nothing to compare.
      if (!reported || !source.usage) continue;
      const diff = usageDiff(reported, source.usage);
      if (diff) {
        problems.push(`${where(a)}${diff}`);
        expected.push(
          `${where(a)}usage of ${source.provider}#${source.attempt}: ${source.usage.promptTokens} prompt, ${source.usage.completionTokens} completion tokens`,
        );
      }
    }
    return problems.length ? { expected: expected.join("; "), received: problems.join("; ") } : undefined;
  },
});
