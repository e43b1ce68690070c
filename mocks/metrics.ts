import type { JournalEntry } from "./journal.ts";

/** What the metrics read from the engine at scrape time. */
export interface MetricsSource {
  readonly planCount: number;
  readonly journal: { size: number; droppedTotal: number };
  requestCounts(): Iterable<[provider: string, requests: number]>;
}

const OUTCOMES = ["answered", "fault", "client_closed", "none"] as const;

/** The outcome's place in OUTCOMES, without a search. */
function outcomeIndex(o: JournalEntry["outcome"]): number {
  return o === "answered" ? 0 : o === "fault" ? 1 : o === "client_closed" ? 2 : 3;
}

/** One count, boxed so the last one used is bumped without a lookup. */
interface Count {
  n: number;
}

type PromClient = typeof import("prom-client");
type Registry = InstanceType<PromClient["Registry"]>;

/**
 * The mock's Prometheus metrics (`GET /_faultline/metrics`). The hot path only bumps plain counters
 * here; prom-client is loaded at the first scrape and reads them then, so a mock nobody scrapes never
 * loads it, and a scrape costs the answers nothing.
 */
export class MockMetrics {
  /**
   * Answers by provider, then step, then status × 4 + outcome: three lookups and no allocation per
   * answer, where a joined string key cost a string per answer. Each count is a box, so the last one
   * used is bumped in place.
   */
  private readonly answers = new Map<string, Map<string, Map<number, Count>>>();
  /** Refusals by the limit that made them. */
  private readonly refusals = new Map<string, number>();
  private registry: Promise<Registry> | undefined;

  constructor(private readonly source: MetricsSource) {}

  /**
   * The last answer's provider, step, code and count: a storm or a run of one plan hits it every time,
   * and bumps the count with no lookup at all.
   */
  private last: { provider: string; step: string; code: number; count: Count } | undefined;

  /** Counts one settled journal entry. */
  answered(e: JournalEntry): void {
    const step = e.step.step;
    const code = (e.status ?? 0) * 4 + outcomeIndex(e.outcome);
    const last = this.last;
    if (last !== undefined && last.code === code && last.provider === e.provider && last.step === step) {
      last.count.n++;
      return;
    }
    let bySteps = this.answers.get(e.provider);
    if (!bySteps) {
      bySteps = new Map();
      this.answers.set(e.provider, bySteps);
    }
    let byCode = bySteps.get(step);
    if (!byCode) {
      byCode = new Map();
      bySteps.set(step, byCode);
    }
    let count = byCode.get(code);
    if (!count) {
      count = { n: 0 };
      byCode.set(code, count);
    }
    count.n++;
    this.last = { provider: e.provider, step, code, count };
  }

  /** Counts one request refused for a limit (`maxRequestBytes`, `maxPlans`, …). */
  refused(limit: string): void {
    this.refusals.set(limit, (this.refusals.get(limit) ?? 0) + 1);
  }

  /** The Prometheus text exposition and its content type. */
  async render(): Promise<{ contentType: string; text: string }> {
    this.registry ??= this.build();
    const registry = await this.registry;
    return { contentType: registry.contentType, text: await registry.metrics() };
  }

  private async build(): Promise<Registry> {
    const prom = await import("prom-client");
    const registry = new prom.Registry();
    const { answers, refusals, source } = this;
    new prom.Counter({
      name: "faultline_mock_requests_total",
      help: "Requests a provider route received, by provider.",
      labelNames: ["provider"],
      registers: [registry],
      collect() {
        this.reset();
        for (const [provider, n] of source.requestCounts()) this.inc({ provider }, n);
      },
    });
    new prom.Counter({
      name: "faultline_mock_answers_total",
      help: "Answers by provider, the step applied, the status sent (none for a transport fault) and how the exchange ended.",
      labelNames: ["provider", "step", "status", "outcome"],
      registers: [registry],
      collect() {
        this.reset();
        for (const [provider, bySteps] of answers)
          for (const [step, byCode] of bySteps)
            for (const [code, { n }] of byCode) {
              const status = code >> 2 ? String(code >> 2) : "none";
              this.inc({ provider, step, status, outcome: OUTCOMES[code & 3]! }, n);
            }
      },
    });
    new prom.Counter({
      name: "faultline_mock_refusals_total",
      help: "Requests refused because they went past a limit, by the limit's name.",
      labelNames: ["limit"],
      registers: [registry],
      collect() {
        this.reset();
        for (const [limit, n] of refusals) this.inc({ limit }, n);
      },
    });
    new prom.Counter({
      name: "faultline_mock_journal_dropped_total",
      help: "Journal entries dropped by the journal's caps since the mock started.",
      registers: [registry],
      collect() {
        this.reset();
        this.inc(source.journal.droppedTotal);
      },
    });
    new prom.Gauge({
      name: "faultline_mock_journal_entries",
      help: "Journal entries held now.",
      registers: [registry],
      collect() {
        this.set(source.journal.size);
      },
    });
    new prom.Gauge({
      name: "faultline_mock_plans_active",
      help: "Plans held now.",
      registers: [registry],
      collect() {
        this.set(source.planCount);
      },
    });
    prom.collectDefaultMetrics({ register: registry });
    return registry;
  }
}
