/** Over the limit: what the answer reports (data-envelope gateway's Errors guide: active_requests, concurrency_limit). */
export interface Refusal {
  active_requests: number;
  concurrency_limit: number;
}

/**
 * Counts a key's requests in flight and refuses the one that would go over its limit. Only the keys it
 * is given are limited, so the harness's concurrency fixture cannot starve any other test.
 */
export class ConcurrencyGate {
  private readonly active = new Map<string, number>();

  constructor(private readonly limits: ReadonlyMap<string, number>) {}

  /** A release function, or the refusal when the key is at its limit. Release exactly once. */
  enter(key: string): (() => void) | Refusal {
    const limit = this.limits.get(key);
    if (limit === undefined) return () => {};
    const n = this.active.get(key) ?? 0;
    if (n >= limit) return { active_requests: n, concurrency_limit: limit };
    this.active.set(key, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.active.get(key) ?? 1) - 1;
      if (left > 0) this.active.set(key, left);
      else this.active.delete(key);
    };
  }
}
