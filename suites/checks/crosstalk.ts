import { defineCheck } from "./registry.ts";
import { answerId, produced, TAGGED, type TracedAnswer, tracedAnswers } from "./usage.ts";
import { show } from "./util.ts";

// The mock's completions are unique per attempt: "Hello from alpha (1f3a-2c)." and an id of the attempt's own
// (docs/contract.md §20). A 2xx answer is traced to its request by them: its text contains a completion the
// journal shows the mock produced for that request's plan, or its id is one of those completions' ids (a
// gateway that rewrites ids is traced by the text alone). It is another request's when it carries a tagged
// completion text or an id the mock produced for anything else.

interface Trace {
  /** The answer carries a completion of its own plan. */
  own: boolean;
  /** Completions (texts or ids) the mock produced for something else. */
  foreign: string[];
}

function trace(a: TracedAnswer, others: TracedAnswer[], dialect: Parameters<typeof answerId>[1]): Trace {
  const attempts = produced(a.journal);
  const texts = new Set(attempts.map((e) => e.completionText!));
  const ids = new Set(attempts.flatMap((e) => (e.completionId ? [e.completionId] : [])));
  const id = answerId(a.exchange, dialect);
  const foreign = (a.text.match(TAGGED) ?? []).filter((t) => !texts.has(t)).map((t) => show(t));
  if (id && !ids.has(id)) {
    const stolen = others.find((o) => produced(o.journal).some((e) => e.completionId === id));
    if (stolen) foreign.push(`id ${show(id)} (produced for request ${stolen.step ?? "?"})`);
  }
  const own = [...texts].some((t) => a.text.includes(t)) || (id !== undefined && ids.has(id));
  return { own, foreign };
}

defineCheck({
  id: "XTALK-001",
  level: "must",
  title: "Each request gets its own answer",
  sentence:
    "Under concurrency, a 2xx completion is the one a provider produced for that request (the mock makes every completion's text and id unique).",
  source: "docs/contract.md §20 Each request gets its own answer",
  fix: "Key every per-request structure (response caches, stream buffers, pending-request maps, connection reuse) by the request itself, messages included; never hand one client's upstream answer to another.",
  applies: (j) => tracedAnswers(j.exchange, j.profile).length > 0,
  judge({ exchange: ex, profile: p }) {
    const answers = tracedAnswers(ex, p);
    const dialect = p.endpoints.chat.dialect;
    const expected: string[] = [];
    const received: string[] = [];
    for (const a of answers) {
      const t = trace(
        a,
        answers.filter((o) => o !== a),
        dialect,
      );
      if (t.own && t.foreign.length === 0) continue;
      const label = a.step ? `request ${a.step}: ` : "";
      const mine = produced(a.journal).map((e) => show(e.completionText));
      expected.push(
        `${label}a completion of its own plan: ${mine.join(" or ") || "(no attempt of its plan answered: the gateway asked no provider for it)"}`,
      );
      received.push(
        `${label}${t.foreign.length ? `another request's completion: ${t.foreign.join(", ")}` : `an answer no attempt of its plan produced: ${show(a.text)}`}`,
      );
    }
    return received.length ? { expected: expected.join("; "), received: received.join("; ") } : undefined;
  },
});
