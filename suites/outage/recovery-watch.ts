import type { Profile } from "../../core/profile/schema.ts";
import {
  judgeRecovery,
  type RecoveryBin,
  type RecoveryVerdict,
  type UsualProvider,
} from "../checks/recovery.ts";

/**
 * Counts answers by the second they were sent in, from the moment the providers recovered, so REC-001 can
 * be judged live (the run stops once it is decided) and at the end; and, from the judged requests (the
 * journal), when the provider the gateway used before the outage served again.
 */
export class RecoveryWatch {
  private readonly seconds: Array<{ sent: number; done: number; ok: number }> = [];
  /** Epoch ms when the providers recovered; set once the scenario has started. */
  private from = Number.POSITIVE_INFINITY;
  private usual: UsualProvider | undefined;

  constructor(
    private readonly profile: Pick<Profile, "recoveryS">,
    /** The harness's deadline for one answer: a second is complete once it has passed for all its requests. */
    private readonly deadlineMs: number,
  ) {}

  /** `usual`: the provider that served the clean request before the outage, when the journal showed it. */
  start(recoveredAt: number, usual?: string): void {
    this.from = recoveredAt;
    this.usual = usual ? { name: usual } : undefined;
  }

  /** A judged 2xx request, sent at `sentAt`, whose answer came from `provider`. */
  servedBy(sentAt: number, provider: string): void {
    const u = this.usual;
    if (!u || provider !== u.name || sentAt < this.from) return;
    const t = Math.floor((sentAt - this.from) / 1000);
    if (u.backAfterS === undefined || t < u.backAfterS) u.backAfterS = t;
  }

  private bin(at: number) {
    if (at < this.from) return undefined;
    const sec = Math.floor((at - this.from) / 1000);
    while (this.seconds.length <= sec) this.seconds.push({ sent: 0, done: 0, ok: 0 });
    return this.seconds[sec]!;
  }

  sent(at: number): void {
    const b = this.bin(at);
    if (b) b.sent++;
  }

  answered(sentAt: number, status: number | undefined): void {
    const b = this.bin(sentAt);
    if (!b) return;
    b.done++;
    if (status !== undefined && status >= 200 && status < 300) b.ok++;
  }

  /** Seconds whose every request has its answer (or has outlived the deadline), in order. */
  private complete(now: number): RecoveryBin[] {
    const out: RecoveryBin[] = [];
    for (const [t, b] of this.seconds.entries()) {
      const over = this.from + (t + 1) * 1000 + this.deadlineMs < now;
      if ((b.sent === 0 || b.done < b.sent) && !over) break;
      out.push({ t, answered: b.done, ok: b.ok });
    }
    return out;
  }

  /** Whether the traffic should go on: recovery is neither seen nor ruled out yet. */
  undecided(now = Date.now()): boolean {
    const v = judgeRecovery(this.complete(now), this.profile, this.usual);
    return v.recoveredAfterS === undefined && v.undecided;
  }

  /** The verdict once every answer is in; the last second, cut short by the end of traffic, counts if it saw answers. */
  verdict(): RecoveryVerdict {
    const bins = this.seconds
      .map((b, t) => ({ t, answered: b.done, ok: b.ok }))
      .filter((b, i, all) => i < all.length - 1 || b.answered > 0);
    return judgeRecovery(bins, this.profile, this.usual);
  }
}
