/** A per-provider circuit breaker, as gateways put in front of flaky providers. */
export interface BreakerConfig {
  /** Consecutive retryable failures that open a provider's breaker. */
  failureThreshold: number;
  /** How long an open breaker skips its provider before letting one trial attempt through. */
  openMs: number;
}

/** How one attempt at a provider ended, as far as its breaker is concerned. */
export type AttemptVerdict = "success" | "failure" | "abandoned";

interface State {
  failures: number;
  /** Set while open: until when the provider is skipped. */
  openUntil?: number;
  /** A half-open trial attempt is out. */
  trial: boolean;
}

/**
 * closed → (failureThreshold consecutive failures) → open for openMs → half-open: one trial attempt;
 * its success closes the breaker, its failure opens it again. A provider's 4xx about the request is a
 * success here: the provider answered, the request was wrong.
 *
 * The transitions are methods so a one-defect mutant (a breaker that never closes, say) overrides one
 * of them and hands its class to the gateway through the policy's `breakers` member.
 */
export class CircuitBreakers {
  private readonly states = new Map<string, State>();

  constructor(
    readonly config: BreakerConfig,
    private readonly now: () => number = Date.now,
  ) {}

  private state(provider: string): State {
    const known = this.states.get(provider);
    if (known) return known;
    const fresh: State = { failures: 0, trial: false };
    this.states.set(provider, fresh);
    return fresh;
  }

  /** Whether an attempt at `provider` may go out now; a half-open breaker lets one through at a time. */
  allow(provider: string): boolean {
    const s = this.state(provider);
    if (s.openUntil === undefined) return true;
    if (this.now() < s.openUntil || s.trial) return false;
    s.trial = true;
    return true;
  }

  /** Records how an attempt that `allow` let through ended. */
  record(provider: string, verdict: AttemptVerdict): void {
    const s = this.state(provider);
    const wasTrial = s.trial;
    s.trial = false;
    if (verdict === "abandoned") return;
    if (verdict === "success") {
      if (wasTrial || s.openUntil === undefined) this.close(s);
      return;
    }
    s.failures++;
    if (wasTrial || s.failures >= this.config.failureThreshold) this.open(s);
  }

  protected close(s: State): void {
    s.failures = 0;
    s.openUntil = undefined;
  }

  protected open(s: State): void {
    s.openUntil = this.now() + this.config.openMs;
  }
}
