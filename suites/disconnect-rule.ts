import type { JournalEntry } from "../mocks/journal.ts";

// What the journal says about a gateway's upstream attempts once its client has left (docs/contract.md §22).
// Shared by the client that hangs up (disconnect-client.ts: how long to keep watching) and DISC-001 (the
// verdict), so both read the journal the same way.

/** The gateway closes an attempt that was in flight when the client left within this long. */
export const CLOSE_WITHIN_MS = 2_000;
/**
 * An attempt the mock received this soon after the client left may have been sent before the gateway could
 * know: the client's FIN, then the gateway's and the mock's event loops each take their turn. 250 ms is far
 * more than loopback needs, even on a loaded machine, and far less than any failover that waits for an
 * attempt to time out or fail.
 */
export const ON_THE_WIRE_MS = 250;
/** How long the harness watches the journal after the client left: past CLOSE_WITHIN_MS, so a late close is seen. */
export const WATCH_MS = 2_500;
/** Stop watching early once every attempt has ended and nothing new arrived for this long. */
export const QUIET_MS = 500;

/** When the client (the harness) hung up, and until when it watched the journal (epoch ms). */
export interface ClientLeft {
  at: number;
  watchedUntil: number;
}

export interface Lingering {
  entry: JournalEntry;
  /** How long after the client left the attempt ended (closed by the gateway or finished by the mock). */
  afterMs?: number;
  how: "closed" | "finished" | "open";
}

export interface Afterwards {
  /** Attempts in flight when the client left (or sent before the gateway could know) that ran past CLOSE_WITHIN_MS. */
  slow: Lingering[];
  /** Attempts the gateway started after the client left. */
  late: Array<{ entry: JournalEntry; afterMs: number }>;
  /** Attempts in flight when the client left that the gateway closed, in time or not. */
  closed: Lingering[];
  /** Attempts in flight that the mock finished on its own within CLOSE_WITHIN_MS: they say nothing. */
  finished: Lingering[];
  /** Whether the journal can tell: an attempt was open when the client left and did not simply finish, or a new one began. */
  conclusive: boolean;
}

/** When the exchange ended, whichever side ended it; undefined while it is open. */
const endOf = (e: JournalEntry) => e.closedAt ?? e.endedAt ?? e.answeredAt;

/** Reads the journal of one request against the moment its client left. */
export function afterLeaving(journal: JournalEntry[], left: ClientLeft): Afterwards {
  const out: Afterwards = { slow: [], late: [], closed: [], finished: [], conclusive: false };
  for (const entry of journal) {
    const end = endOf(entry);
    if (end !== undefined && end <= left.at) continue; // over before the client left
    if (entry.receivedAt > left.at + ON_THE_WIRE_MS) {
      out.late.push({ entry, afterMs: entry.receivedAt - left.at });
      continue;
    }
    const how = entry.closedAt !== undefined ? "closed" : end !== undefined ? "finished" : "open";
    const afterMs = end === undefined ? undefined : end - left.at;
    const l: Lingering = { entry, afterMs, how };
    if (how === "closed") out.closed.push(l);
    if ((afterMs ?? left.watchedUntil - left.at) > CLOSE_WITHIN_MS) out.slow.push(l);
    else if (how === "finished") out.finished.push(l);
  }
  out.conclusive = out.late.length > 0 || out.slow.length > 0 || out.closed.length > 0;
  return out;
}

/**
 * Whether the harness has seen enough: every attempt has ended and none began for QUIET_MS (a gateway that
 * fails over after its client left does so as soon as an attempt ends), or WATCH_MS have passed.
 */
export function settled(journal: JournalEntry[], leftAt: number, now: number): boolean {
  if (now >= leftAt + WATCH_MS) return true;
  if (now < leftAt + ON_THE_WIRE_MS) return false;
  let last = leftAt;
  for (const e of journal) {
    const end = endOf(e);
    if (end === undefined) return false;
    last = Math.max(last, end, e.receivedAt);
  }
  return now >= last + QUIET_MS;
}

/** One attempt as a verdict names it: provider, attempt number, step. */
export const nameOf = (e: JournalEntry) => `${e.provider}#${e.attempt} (${e.step.step})`;
