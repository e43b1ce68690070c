import type { JournalEntry } from "../../mocks/journal.ts";
import { markerIn } from "./sample.ts";

/**
 * How old an attempt must be before the feed reads it. The journal fills in an attempt's status when it
 * ends, and attempts end within a gateway's attempt timeout (2 s for the reference gateway), so reading
 * them this late reads them complete, once; an attempt still open by then is taken as it stands, as
 * `faultline run` takes the journal right after an answer. Kept well inside what the mock's journal holds
 * at a storm's rate (10,000 entries by default).
 */
export const JOURNAL_LAG_MS = 3_000;

/**
 * Follows the mock's journal (`GET /_faultline/journal?since=&until=`) while a run goes on, and files every
 * attempt under the request it belongs to, by the marker in its body. Each entry is read once.
 */
export class JournalFeed {
  private readonly byRequest = new Map<string, JournalEntry[]>();
  /** Everything received up to here (mock clock, epoch ms) has been read; older entries are not this run's. */
  private readUntil = Date.now() - 60_000;
  /**
   * Entries the mock's journal let go (its cap) before this feed read them: attempts may be missing. The
   * journal numbers its entries without a gap, and consecutive windows meet, so a gap is a loss.
   */
  dropped = 0;
  private lastSeq: number | undefined;
  polls = 0;

  constructor(
    private readonly mockUrl: string,
    /** Only markers of this run: `<runId>.<n>`. */
    private readonly runId: string,
    private readonly token?: string,
    private readonly timeoutMs = 10_000,
  ) {}

  /**
   * Reads the attempts received since the last poll and at least `lagMs` ago; answers the time up to which
   * every attempt has been read (the mock's clock: this machine's, or one kept close to it).
   */
  async poll(lagMs = JOURNAL_LAG_MS): Promise<number> {
    // An entry is stamped when the mock records it, so nothing stamped before `until` can still arrive:
    // consecutive windows neither overlap nor leave a gap.
    const until = Date.now() - lagMs;
    const since = this.readUntil + 1;
    if (until < since) return this.readUntil;
    const res = await fetch(`${this.mockUrl}/_faultline/journal?since=${since}&until=${until}`, {
      headers: this.token ? { authorization: `Bearer ${this.token}` } : {},
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    if (!res.ok)
      throw new Error(`mock GET /_faultline/journal answered ${res.status}: ${text.slice(0, 300)}`);
    const body = JSON.parse(text) as { entries: JournalEntry[] };
    this.polls++;
    for (const e of body.entries) {
      if (this.lastSeq !== undefined && e.seq > this.lastSeq + 1) this.dropped += e.seq - this.lastSeq - 1;
      this.lastSeq = Math.max(this.lastSeq ?? e.seq, e.seq);
      this.file(e);
    }
    this.readUntil = until;
    return until;
  }

  private file(e: JournalEntry): void {
    const id = markerIn(e.body);
    if (!id?.startsWith(`${this.runId}.`)) return;
    const attempts = this.byRequest.get(id) ?? [];
    // Only what the checks read; the body has served its purpose (the marker).
    attempts.push({ ...e, body: "", bodyTruncated: false });
    this.byRequest.set(id, attempts);
  }

  /** The attempts of one request, in the order the mock received them; forgotten once taken. */
  take(id: string): JournalEntry[] {
    const attempts = this.byRequest.get(id) ?? [];
    this.byRequest.delete(id);
    return attempts.sort((a, b) => a.seq - b.seq);
  }
}
