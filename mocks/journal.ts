import { Redactor } from "../core/redact.ts";

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
  /** When the exchange ended, whichever way (epoch ms): `endedAt` or `closedAt`, whichever came. */
  answeredAt?: number;
  /** When the mock finished its reply: the last byte written, or the fault played (epoch ms). */
  endedAt?: number;
  /**
   * When the client (the gateway) closed or aborted this exchange before the mock finished its reply
   * (epoch ms); set exactly when `outcome` is `client_closed`. A close after the reply is not recorded.
   */
  closedAt?: number;
  status?: number;
  /** How the exchange ended on the socket. */
  outcome?: "answered" | "fault" | "client_closed";
  /** The id of the completion this attempt answered with (`chatcmpl-…`, `msg_…`, Gemini's responseId), when it answered one. */
  completionId?: string;
  /** Its text, unique per attempt unless the plan fixed it ("Hello from alpha (1f3a-2c)."). */
  completionText?: string;
  /** The token counts the provider reported for it; absent for a stream that reports none (OpenAI without include_usage). */
  usage?: { promptTokens: number; completionTokens: number };
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

/**
 * Bounded in memory: the oldest entries go first, and `dropped` says how many went. A plan keeps its
 * first `maxPerPlan` entries (the attempts a test looks at) and drops later ones.
 *
 * Entries are kept as received and redacted when read (`query`): recording is on every answer's path
 * and reading is rare, and a secret configured late (`POST /_faultline/secrets`) covers the past too.
 * The record `record` returns (and `Decision.entry`) is the raw one: read the journal through `query`.
 */
export class Journal {
  // A queue with a moving head: evicting the oldest entry is O(1), where shifting a 10,000-entry
  // array on every request showed up in the profile of a full journal (scripts/bench/mock.ts).
  private entries: Array<JournalEntry | undefined> = [];
  private head = 0;
  /** Entries held per plan, boxed so the last plan's count is bumped in place (heldOf). */
  private perPlan = new Map<string, { n: number }>();
  private lastPlan: string | undefined;
  private lastHeld = { n: 0 };
  private seq = 0;
  dropped = 0;
  /** Every entry ever dropped, reset or not: a Prometheus counter must never go down. */
  droppedTotal = 0;
  droppedByPlan = new Map<string, number>();

  constructor(
    readonly limits: JournalLimits = { maxEntries: 10_000, maxPerPlan: 500, maxBodyBytes: 8192 },
    /** Credential-named headers and query parameters, and the secrets the user configured. */
    readonly redactor: Redactor = new Redactor(),
  ) {}

  /**
   * Keeps one entry: the object given, numbered (`seq`) and with its body capped, not a copy of it.
   * Give every field, so entries share one shape when the transport fills in how they ended.
   */
  record(entry: JournalEntry): JournalEntry {
    const e = entry;
    e.seq = ++this.seq;
    // A string's UTF-8 length is at most 3 bytes per UTF-16 unit, so short bodies skip the byte count.
    if (
      e.body.length * 3 > this.limits.maxBodyBytes &&
      Buffer.byteLength(e.body) > this.limits.maxBodyBytes
    ) {
      e.body = Buffer.from(e.body).subarray(0, this.limits.maxBodyBytes).toString();
      e.bodyTruncated = true;
    }
    if (e.planId) {
      const held = this.heldOf(e.planId);
      if (held.n >= this.limits.maxPerPlan) {
        this.countDropped(e.planId);
        return entry;
      }
      held.n++;
    }
    this.entries.push(entry);
    while (this.size > this.limits.maxEntries) this.evictOldest();
    return entry;
  }

  /** The count of a plan's held entries: the last plan's without a lookup, as a run of one plan records. */
  private heldOf(planId: string): { n: number } {
    if (planId === this.lastPlan) return this.lastHeld;
    let held = this.perPlan.get(planId);
    if (!held) {
      held = { n: 0 };
      this.perPlan.set(planId, held);
    }
    this.lastPlan = planId;
    this.lastHeld = held;
    return held;
  }

  private evictOldest(): void {
    const gone = this.entries[this.head];
    this.entries[this.head++] = undefined;
    if (gone?.planId) {
      const held = this.perPlan.get(gone.planId);
      if (held) held.n--;
      this.countDropped(gone.planId);
    } else {
      this.dropped++;
      this.droppedTotal++;
    }
    // Compact once the dead prefix is as long as the live part, so memory stays within 2 × the cap.
    if (this.head >= 1024 && this.head * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  /** The plan's own count shows every entry it lost, whichever cap took it. */
  private countDropped(planId: string): void {
    this.dropped++;
    this.droppedTotal++;
    this.droppedByPlan.set(planId, (this.droppedByPlan.get(planId) ?? 0) + 1);
  }

  /** Entries matching the query, oldest first, redacted: copies, so what a caller holds never changes. */
  query(q: JournalQuery = {}): JournalEntry[] {
    const out: JournalEntry[] = [];
    for (const e of this.held()) {
      if (
        (q.provider === undefined || e.provider === q.provider) &&
        (q.planId === undefined || e.planId === q.planId) &&
        (q.sinceMs === undefined || e.receivedAt >= q.sinceMs) &&
        (q.untilMs === undefined || e.receivedAt <= q.untilMs)
      )
        out.push(this.redacted(e));
    }
    return out;
  }

  /** One entry as anyone outside the journal may see it. */
  redacted(e: JournalEntry): JournalEntry {
    return {
      ...e,
      path: this.redactor.path(e.path),
      query: this.redactor.query(e.query),
      headers: this.redactor.headers(e.headers),
      body: this.redactor.text(e.body, e.bodyTruncated),
    };
  }

  private held(): JournalEntry[] {
    return this.entries.slice(this.head) as JournalEntry[];
  }

  forgetPlan(planId: string): void {
    this.entries = this.held().filter((e) => e.planId !== planId);
    this.head = 0;
    this.perPlan.delete(planId);
    this.lastPlan = undefined;
    this.droppedByPlan.delete(planId);
  }

  clear(): void {
    this.entries = [];
    this.head = 0;
    this.perPlan.clear();
    this.lastPlan = undefined;
    this.droppedByPlan.clear();
    this.dropped = 0;
  }

  get size(): number {
    return this.entries.length - this.head;
  }
}
