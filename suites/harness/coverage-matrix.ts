import type { JournalEntry } from "../../mocks/journal.ts";
import { stepIds } from "../../mocks/steps.ts";
import type { CaseSpec, RequestSpec } from "./types.ts";

/**
 * One row of the coverage matrix: the cases that put one step (and variant) in front of the gateway for
 * one condition, JSON or streamed, in one phase, and what became of them. A case is `notReached` when
 * it was judged and held but the gateway never made the attempt the step was waiting on (it stopped
 * early, or answered from its own state): the condition was planned, not exercised.
 */
export interface CoverageEntry {
  step: string;
  variant?: string;
  condition: string;
  stream: boolean;
  phase: "coverage" | "random";
  pass: number;
  fail: number;
  inconclusive: number;
  notReached: number;
  /** The checks that failed on this row's cases. */
  failed: string[];
}

/** What the run reached, step by step (report.json `coverage`, summary.md "Coverage"). */
export interface CoverageMatrix {
  /** Every step of the mock's registry, in its order: a step with no row was never drawn. */
  steps: string[];
  entries: CoverageEntry[];
}

/** What happened to one case, as the matrix counts it. */
export type CaseEnd =
  | { kind: "judged"; journal: JournalEntry[]; failed: string[] }
  | { kind: "inconclusive" }
  | { kind: "culprit" };

/** Whether a request asks for a stream: `stream: true` in the body, or Gemini's streaming method. */
export function isStreamRequest(r: RequestSpec): boolean {
  if (/:streamGenerateContent\b/.test(r.path)) return true;
  const body = r.body;
  if (!body?.includes('"stream"')) return false;
  try {
    const b = JSON.parse(body) as { stream?: unknown };
    return b.stream === true;
  } catch {
    return false;
  }
}

function stepOf(s: unknown): string | undefined {
  if (typeof s === "string") return s;
  const id = (s as { step?: unknown } | null)?.step;
  return typeof id === "string" ? id : undefined;
}

/** The steps a case is about: the one a coverage case places, or every step of a random case's plan. */
function subjects(c: CaseSpec): Array<{ step: string; variant?: string }> {
  if (c.coverage) return [{ step: c.coverage.step, variant: c.coverage.variant }];
  const seen = new Set<string>();
  for (const seq of Object.values(c.plan?.providers ?? {}))
    for (const s of Array.isArray(seq) ? seq : []) {
      const id = stepOf(s);
      if (id) seen.add(id);
    }
  return [...seen].map((step) => ({ step }));
}

/**
 * Counts every upstream case of a run into the matrix. Cases without a plan, scenarios, and client-side
 * cases whose plan is there only to show that no provider was asked (docs/contract.md §19) are not counted.
 */
export class CoverageTally {
  private readonly rows = new Map<string, CoverageEntry>();

  record(c: CaseSpec, end: CaseEnd): void {
    if (!c.plan || c.scenario || !c.condition.startsWith("upstream.")) return;
    const stream = isStreamRequest(c.request);
    const phase = c.coverage ? "coverage" : "random";
    for (const s of subjects(c)) {
      const key = JSON.stringify([s.step, s.variant ?? "", c.condition, stream, phase]);
      let row = this.rows.get(key);
      if (!row) {
        row = {
          step: s.step,
          ...(s.variant ? { variant: s.variant } : {}),
          condition: c.condition,
          stream,
          phase,
          pass: 0,
          fail: 0,
          inconclusive: 0,
          notReached: 0,
          failed: [],
        };
        this.rows.set(key, row);
      }
      if (end.kind === "inconclusive") row.inconclusive++;
      else if (end.kind === "culprit") {
        row.fail++;
        if (!row.failed.includes("LIVE-001")) row.failed.push("LIVE-001");
      } else if (end.failed.length) {
        row.fail++;
        for (const id of end.failed) if (!row.failed.includes(id)) row.failed.push(id);
      } else if (end.journal.some((e) => e.step.step === s.step)) row.pass++;
      else row.notReached++;
    }
  }

  matrix(): CoverageMatrix {
    const steps = stepIds();
    const order = (id: string) => {
      const i = steps.indexOf(id);
      return i < 0 ? steps.length : i;
    };
    const entries = [...this.rows.values()].sort(
      (a, b) =>
        order(a.step) - order(b.step) ||
        (a.variant ?? "").localeCompare(b.variant ?? "") ||
        a.condition.localeCompare(b.condition) ||
        Number(a.stream) - Number(b.stream) ||
        a.phase.localeCompare(b.phase),
    );
    for (const e of entries) e.failed.sort();
    return { steps, entries };
  }
}

/** One cell of a step's summary: the counts of its rows, JSON or streamed. */
export interface CoverageCell {
  pass: number;
  fail: number;
  inconclusive: number;
  notReached: number;
}

/** A step's rows (of one phase, or both) folded into JSON and stream cells, with the conditions they reached. */
export function stepSummary(
  m: CoverageMatrix,
  step: string,
  phase?: CoverageEntry["phase"],
): { json: CoverageCell; stream: CoverageCell; conditions: string[] } {
  const cell = (): CoverageCell => ({ pass: 0, fail: 0, inconclusive: 0, notReached: 0 });
  const out = { json: cell(), stream: cell(), conditions: [] as string[] };
  for (const e of m.entries) {
    if (e.step !== step || (phase && e.phase !== phase)) continue;
    const c = e.stream ? out.stream : out.json;
    c.pass += e.pass;
    c.fail += e.fail;
    c.inconclusive += e.inconclusive;
    c.notReached += e.notReached;
    if (!out.conditions.includes(e.condition)) out.conditions.push(e.condition);
  }
  out.conditions.sort();
  return out;
}

/** Two cells added up. */
export function addCells(a: CoverageCell, b: CoverageCell): CoverageCell {
  return {
    pass: a.pass + b.pass,
    fail: a.fail + b.fail,
    inconclusive: a.inconclusive + b.inconclusive,
    notReached: a.notReached + b.notReached,
  };
}

/** `12 pass, 1 not reached`; `not drawn` for an empty cell. */
export function describeCell(c: CoverageCell): string {
  const parts = [
    c.fail ? `${c.fail} fail` : "",
    c.pass ? `${c.pass} pass` : "",
    c.inconclusive ? `${c.inconclusive} inconclusive` : "",
    c.notReached ? `${c.notReached} not reached` : "",
  ].filter(Boolean);
  return parts.length ? parts.join(", ") : "not drawn";
}

/** Steps of the registry that no case of the run reached (passed, failed or inconclusive do count). */
export function unreachedSteps(m: CoverageMatrix): string[] {
  return m.steps.filter((s) => {
    const { json, stream } = stepSummary(m, s);
    return json.pass + json.fail + json.inconclusive + stream.pass + stream.fail + stream.inconclusive === 0;
  });
}
