import { providerRetryAfterS } from "./amplification.ts";
import { defineCheck } from "./registry.ts";
import { parseRetryAfter } from "./retry-after.ts";
import { show } from "./util.ts";

/** A provider that is rate-limited (429) or overloaded (503, Anthropic's 529). */
const RATE_LIMITED = new Set([429, 503, 529]);

defineCheck({
  id: "RA-004",
  level: "should",
  title: "The gateway's Retry-After is useful",
  sentence:
    "When the gateway answers 429/503 because providers are rate-limited or overloaded, its Retry-After is present, valid, and not shorter than the shortest one the providers gave.",
  source: "docs/contract.md §24 A useful Retry-After from the gateway; RFC 9110 §10.2.3",
  fix: "Carry the providers' Retry-After through: answer with the shortest wait after which a provider will accept the request again, never none and never less.",
  // A profile that answers every exhaustion with another status leaves a conforming gateway no 429/503 to
  // judge here: said as such, rather than as cases that happened not to reach it. (Only read when nothing
  // was judged: a gateway that answers 429 against its profile is still judged.)
  notDeclared(p) {
    const statuses = new Set(
      [p.exhaustion, ...Object.values(p.families).map((f) => f.exhaustion)].flatMap((e) => e?.statuses ?? []),
    );
    if (statuses.has(429) || statuses.has(503)) return undefined;
    return `the profile answers an exhaustion, rate-limited providers included, with ${[...statuses].join(" or ")} (exhaustion.statuses), never 429 or 503`;
  },
  // Only when every attempt was turned away for load: a provider that merely failed may be asked again at once.
  applies: (j) => {
    const journal = j.exchange.journal ?? [];
    return (
      (j.exchange.status === 429 || j.exchange.status === 503) &&
      !j.case.scenario &&
      journal.length > 0 &&
      journal.every((e) => e.status !== undefined && RATE_LIMITED.has(e.status)) &&
      journal.some((e) => providerRetryAfterS(e) !== undefined)
    );
  },
  judge({ exchange: ex }) {
    const shortest = Math.min(
      ...ex.journal!.map(providerRetryAfterS).filter((s): s is number => s !== undefined),
    );
    const raw = ex.headers["retry-after"];
    const got = parseRetryAfter(raw);
    // The providers' waits started before the gateway answered: the time the exchange took counts as waited.
    const waitedS = Math.ceil(ex.elapsedMs / 1000);
    if (got !== undefined && got + waitedS >= shortest) return undefined;
    return {
      expected: `Retry-After of at least ${shortest} s (the shortest the providers gave)`,
      received: raw === undefined ? `${ex.status} without Retry-After` : `Retry-After: ${show(raw)}`,
    };
  },
});
