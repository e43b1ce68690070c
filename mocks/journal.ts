import { redactHeaders } from "./redact.ts";

export interface JournalEntry {
  seq: number;
  planId?: string;
  provider: string;
  dialect: string;
  /** 1-based attempt number of this provider within the plan (or since start, without a plan). */
  attempt: number;
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: string;
  bodyTruncated: boolean;
  step: { step: string; [param: string]: unknown };
  /** Epoch milliseconds. */
  receivedAt: number;
  answeredAt?: number;
  status?: number;
  /** How the exchange ended on the socket. */
  outcome?: "answered" | "fault" | "client_closed";
}

export interface JournalQuery {
  provider?: string;
  planId?: string;
  sinceMs?: number;
  untilMs?: number;
}

export interface JournalLimits {
  maxEntries: number;
  maxPerPlan: number;
  maxBodyBytes: number;
}

/** Bounded in memory: the oldest entries go first, and `dropped` says how many went. */
export class Journal {
  private entries: JournalEntry[] = [];
  private perPlan = new Map<string, number>();
  private seq = 0;
  dropped = 0;
  droppedByPlan = new Map<string, number>();

  constructor(readonly limits: JournalLimits = { maxEntries: 10_000, maxPerPlan: 500, maxBodyBytes: 8192 }) {}

  record(
    e: Omit<JournalEntry, "seq" | "headers" | "body" | "bodyTruncated"> & {
      headers: Record<string, string>;
      body: string;
    },
  ): JournalEntry {
    const truncated = Buffer.byteLength(e.body) > this.limits.maxBodyBytes;
    const entry: JournalEntry = {
      ...e,
      seq: ++this.seq,
      headers: redactHeaders(e.headers),
      body: truncated ? Buffer.from(e.body).subarray(0, this.limits.maxBodyBytes).toString() : e.body,
      bodyTruncated: truncated,
    };
    if (e.planId) {
      const n = this.perPlan.get(e.planId) ?? 0;
      if (n >= this.limits.maxPerPlan) {
        this.droppedByPlan.set(e.planId, (this.droppedByPlan.get(e.planId) ?? 0) + 1);
        this.dropped++;
        return entry;
      }
      this.perPlan.set(e.planId, n + 1);
    }
    this.entries.push(entry);
    if (this.entries.length > this.limits.maxEntries) {
      const gone = this.entries.splice(0, this.entries.length - this.limits.maxEntries);
      this.dropped += gone.length;
      for (const g of gone) if (g.planId) this.perPlan.set(g.planId, (this.perPlan.get(g.planId) ?? 1) - 1);
    }
    return entry;
  }

  query(q: JournalQuery = {}): JournalEntry[] {
    return this.entries.filter(
      (e) =>
        (q.provider === undefined || e.provider === q.provider) &&
        (q.planId === undefined || e.planId === q.planId) &&
        (q.sinceMs === undefined || e.receivedAt >= q.sinceMs) &&
        (q.untilMs === undefined || e.receivedAt <= q.untilMs),
    );
  }

  forgetPlan(planId: string): void {
    this.entries = this.entries.filter((e) => e.planId !== planId);
    this.perPlan.delete(planId);
    this.droppedByPlan.delete(planId);
  }

  clear(): void {
    this.entries = [];
    this.perPlan.clear();
    this.droppedByPlan.clear();
    this.dropped = 0;
  }

  get size(): number {
    return this.entries.length;
  }
}
