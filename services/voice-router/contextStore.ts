/**
 * Conversation context per voice session (last device, last intent, whatever the ai returns), so
 * "turn it off" after "turn on the kitchen light" knows what "it" is. Bounded two ways: an entry
 * expires `ttlMs` after its last use, and at most `maxSessions` are kept (least recently used goes
 * first) so a client inventing session ids cannot grow the router without limit.
 * A Map iterates in insertion order; re-inserting on every use keeps the oldest-used entry first.
 */
export type SessionContext = Record<string, unknown>;

interface Entry {
  context: SessionContext;
  usedAt: number;
}

export class ContextStore {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxSessions: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The live context of a session (empty when unknown or expired); counts as a use. */
  get(sessionId: string): SessionContext {
    const e = this.entries.get(sessionId);
    if (!e) return {};
    if (this.now() - e.usedAt > this.ttlMs) {
      this.entries.delete(sessionId);
      return {};
    }
    this.touch(sessionId, e.context);
    return { ...e.context };
  }

  set(sessionId: string, context: SessionContext): void {
    this.touch(sessionId, { ...context });
    this.evict();
  }

  delete(sessionId: string): void {
    this.entries.delete(sessionId);
  }

  private touch(sessionId: string, context: SessionContext): void {
    this.entries.delete(sessionId);
    this.entries.set(sessionId, { context, usedAt: this.now() });
  }

  private evict(): void {
    const now = this.now();
    for (const [id, e] of this.entries) {
      // oldest first: stop at the first live entry once under the bound
      if (now - e.usedAt > this.ttlMs || this.entries.size > this.maxSessions) this.entries.delete(id);
      else break;
    }
  }
}
