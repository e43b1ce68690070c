/**
 * A map with a size bound and a time to live, for the gateway's per-client state (idempotency records,
 * async tasks): memory stays bounded whatever clients send. When full, the oldest entry goes first.
 */
export class TtlStore<V> {
  private readonly map = new Map<string, { value: V; expiresAt: number }>();

  constructor(
    readonly maxEntries: number,
    readonly ttlMs: number,
    /** Called for an entry that is evicted or expires, e.g. to stop a running task. */
    private readonly onDrop: (value: V) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= this.now()) {
      this.map.delete(key);
      this.onDrop(e.value);
      return undefined;
    }
    return e.value;
  }

  /** Stores the value and restarts its time to live. */
  set(key: string, value: V): void {
    this.map.delete(key);
    this.sweep();
    while (this.map.size >= this.maxEntries) {
      const [oldest, e] = this.map.entries().next().value as [string, { value: V }];
      this.map.delete(oldest);
      this.onDrop(e.value);
    }
    this.map.set(key, { value, expiresAt: this.now() + this.ttlMs });
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  values(): V[] {
    return [...this.map.values()].map((e) => e.value);
  }

  get size(): number {
    return this.map.size;
  }

  /** Entries are kept in insertion order, and every set() restarts the TTL, so expired ones lead. */
  private sweep(): void {
    const now = this.now();
    for (const [k, e] of this.map) {
      if (e.expiresAt > now) break;
      this.map.delete(k);
      this.onDrop(e.value);
    }
  }
}
