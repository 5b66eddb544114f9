/**
 * The retained state the stores hold, and its replacement after a (re)connection.
 *
 * The window connects with a clean session, so every connection subscribes afresh and the broker
 * sends every retained message again (MQTT 3.1.1 section 3.3.1.3). That re-sends what still exists,
 * but says nothing about what was removed while the window was away (a device removed, a retained
 * topic cleared): a cleared topic is simply not sent. So a resync is mark and sweep: what the stores
 * hold from retained topics is noted as it arrives; after a reconnection, whatever was not sent again
 * once the retained burst settled is gone, and is cleared as if its empty payload had arrived.
 */
export class RetainedSnapshot<P extends string = string> {
  /** topics of retained state the stores hold, with the pattern they were routed by */
  private readonly held = new Map<string, P>();
  /** topics seen since the resync began; null when no resync is running */
  private seen: Set<string> | null = null;

  /** A message of retained state reached the stores (live or retained: either is current). */
  hold(topic: string, pattern: P): void {
    this.held.set(topic, pattern);
    this.seen?.add(topic);
  }

  /** An empty payload cleared it. */
  release(topic: string): void {
    this.held.delete(topic);
  }

  get resyncing(): boolean {
    return this.seen !== null;
  }

  /** A new connection is about to subscribe: from now on, what arrives is the current state. */
  begin(): void {
    this.seen = new Set();
  }

  /** The retained burst has settled: the held topics that did not come again, which the caller clears. */
  end(): { topic: string; pattern: P }[] {
    const seen = this.seen;
    this.seen = null;
    if (!seen) return [];
    const gone: { topic: string; pattern: P }[] = [];
    for (const [topic, pattern] of this.held) {
      if (seen.has(topic)) continue;
      gone.push({ topic, pattern });
      this.held.delete(topic);
    }
    return gone;
  }
}
