/** The two brokers a bridge joins. */
export type BridgeSide = 'local' | 'upstream';

interface Pending {
  payload: Buffer;
  at: number;
}

/**
 * A message the bridge carried to one side must never be carried back: MQTT 3.1.1 has no "no local"
 * subscription option (MQTT 5 section 3.8.3.1 added it), so a broker sends a client's own publish
 * back to it whenever its subscriptions match, and a topic held in both directions (or by an in
 * filter upstream and an out filter here) would ping-pong for ever. The bridge tells the guard what
 * it published on a side when it expects that side to echo it (one of its own filters there matches
 * the topic); the echo is recognised by topic and exact payload and dropped, once per publish.
 *
 * A retained copy comes back later too (every re-subscribe after a reconnect gets it, with the
 * retain flag set): the guard remembers the last retained payload it put on each topic of each
 * side and drops a retained delivery equal to it, every time.
 *
 * Expected echoes that never come (a QoS 0 message lost) expire after ttlMs, so they cannot eat a
 * real message much later; the guard is bounded (oldest first out) either way.
 */
export class LoopGuard {
  private readonly pending = new Map<string, Pending[]>();
  private pendingCount = 0;
  private readonly retained = new Map<string, Buffer>();

  constructor(
    private readonly ttlMs = 30_000,
    private readonly maxPending = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The bridge published this on `side`; expectEcho: one of its own filters on that side matches the topic. */
  published(side: BridgeSide, topic: string, payload: Buffer, retain: boolean, expectEcho: boolean): void {
    const key = `${side}\u0000${topic}`;
    if (retain) {
      // an empty retained payload clears the topic: nothing comes back on a re-subscribe
      if (payload.length === 0) this.retained.delete(key);
      else this.retained.set(key, payload);
    }
    if (!expectEcho) return;
    if (this.pendingCount >= this.maxPending) this.dropOldest();
    const list = this.pending.get(key);
    const entry = { payload, at: this.now() };
    if (list) list.push(entry);
    else this.pending.set(key, [entry]);
    this.pendingCount++;
  }

  /** A message arrived from `side`: true when it is the bridge's own publish coming back (drop it). */
  isEcho(side: BridgeSide, topic: string, payload: Buffer, retain: boolean): boolean {
    const key = `${side}\u0000${topic}`;
    const list = this.pending.get(key);
    if (list) {
      const cutoff = this.now() - this.ttlMs;
      while (list.length && list[0]!.at < cutoff) {
        list.shift();
        this.pendingCount--;
      }
      const i = list.findIndex((p) => p.payload.equals(payload));
      if (i >= 0) {
        list.splice(i, 1);
        this.pendingCount--;
        if (list.length === 0) this.pending.delete(key);
        return true;
      }
      if (list.length === 0) this.pending.delete(key);
    }
    if (retain) {
      const mine = this.retained.get(key);
      if (mine && mine.equals(payload)) return true;
    }
    return false;
  }

  /** Echoes still expected (for tests and the state's sanity). */
  get waiting(): number {
    return this.pendingCount;
  }

  private dropOldest(): void {
    let oldestKey: string | null = null;
    let oldestAt = Infinity;
    for (const [k, list] of this.pending) {
      const at = list[0]?.at ?? Infinity;
      if (at < oldestAt) {
        oldestAt = at;
        oldestKey = k;
      }
    }
    if (oldestKey === null) return;
    const list = this.pending.get(oldestKey)!;
    list.shift();
    this.pendingCount--;
    if (list.length === 0) this.pending.delete(oldestKey);
  }
}
