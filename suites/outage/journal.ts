import type { JournalEntry } from "../../mocks/journal.ts";
import { markerIn } from "./sample.ts";

/**
 * How far back each poll reaches at most: an attempt still open after this long (one the gateway abandoned
 * to a hang, say) is taken as it stands. Attempts end within the gateway's attempt timeout, so a few
 * seconds cover them, and every poll stays small.
 */
const MAX_REACH_MS = 5_000;

/**
 * Follows the mock's journal (`GET /_faultline/journal?since=`) while a run goes on, and files every
 * attempt under the request it belongs to, by the marker in its body. Entries are fetched again until
 * they are complete (answered or ended), since the journal fills in an attempt's status when it ends.
 */
export class JournalFeed {
  private readonly byRequest = new Map<string, Map<number, JournalEntry>>();
  private newestAt = 0;
  private readonly open = new Map<number, number>();
  /** Requests already taken → their latest attempt's time, so an overlapping poll does not file them again. */
  private readonly taken = new Map<string, number>();
  /** Entries the mock dropped from its journal since the feed started (its cap): attempts may be missing. */
  dropped = 0;
  private droppedAtStart: number | undefined;
  polls = 0;

  constructor(
    private readonly mockUrl: string,
    /** Only markers of this run: `<runId>.<n>`. */
    private readonly runId: string,
    private readonly token?: string,
    private readonly timeoutMs = 5_000,
  ) {}

  /**
   * Reads what the journal holds since the oldest attempt not yet complete; resolves once it is filed.
   * Answers how many entries it read, so a caller that fell behind can poll again at once.
   */
  async poll(): Promise<number> {
    const reach = this.newestAt - MAX_REACH_MS;
    let oldestOpen = this.newestAt;
    for (const [seq, at] of this.open) {
      if (at < reach) this.open.delete(seq);
      else if (at < oldestOpen) oldestOpen = at;
    }
    const since = Math.max(0, oldestOpen - 1, reach);
    const res = await fetch(`${this.mockUrl}/_faultline/journal?since=${since}`, {
      headers: this.token ? { authorization: `Bearer ${this.token}` } : {},
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    if (!res.ok)
      throw new Error(`mock GET /_faultline/journal answered ${res.status}: ${text.slice(0, 300)}`);
    const body = JSON.parse(text) as { entries: JournalEntry[]; dropped?: number };
    this.polls++;
    if (typeof body.dropped === "number") {
      this.droppedAtStart ??= body.dropped;
      this.dropped = body.dropped - this.droppedAtStart;
    }
    for (const e of body.entries) this.file(e);
    // A taken request older than any poll can reach will not come back: forget it (oldest first).
    for (const [id, at] of this.taken) {
      if (at >= this.newestAt - 2 * MAX_REACH_MS) break;
      this.taken.delete(id);
    }
    return body.entries.length;
  }

  private file(e: JournalEntry): void {
    this.newestAt = Math.max(this.newestAt, e.receivedAt);
    const id = markerIn(e.body);
    if (!id?.startsWith(`${this.runId}.`) || this.taken.has(id)) return;
    const attempts = this.byRequest.get(id) ?? new Map<number, JournalEntry>();
    this.byRequest.set(id, attempts);
    // Only what the checks read; the body has served its purpose (the marker).
    attempts.set(e.seq, { ...e, body: "", bodyTruncated: false });
    if (e.outcome === undefined && e.answeredAt === undefined) this.open.set(e.seq, e.receivedAt);
    else this.open.delete(e.seq);
  }

  /** The attempts of one request, in the order the mock received them; forgotten once taken. */
  take(id: string): JournalEntry[] {
    const attempts = this.byRequest.get(id);
    this.byRequest.delete(id);
    const list = [...(attempts?.values() ?? [])].sort((a, b) => a.seq - b.seq);
    for (const e of list) this.open.delete(e.seq);
    this.taken.set(id, list.at(-1)?.receivedAt ?? this.newestAt);
    return list;
  }
}
