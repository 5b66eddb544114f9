import type { Aedes, Client } from 'aedes';
import { clientById, sessionStore, type ClientRef } from './aedesInternals.js';

/**
 * Ends persistent MQTT sessions that stay offline too long (the broker side of MQTT 5's Session
 * Expiry Interval, which MQTT 3.1.1 leaves to the server; Mosquitto's `persistent_client_expiration`).
 *
 * Why: every service connects with clean:false (services/lib/runtime/busService.ts) so the QoS 1 requests
 * sent while it restarts wait for it. Aedes keeps such a session (its QoS 1 subscriptions, and a copy
 * of every matching message) in memory for as long as the broker runs, and its in-memory persistence
 * has no bound (aedes-persistence asyncPersistence.js: `#outgoing` only shrinks on PUBACK). A service
 * the user stopped, or one the supervisor gave up on (`failed`), therefore made the host grow by
 * ~650 bytes per message it would have received, forever (measured: docs/reliability.md "Memory over time").
 *
 * A supervised restart is offline for its backoff (at most 30 s by default) plus its start-up, far
 * below the default expiry; anything queued longer is dropped by the service itself on arrival
 * (a request past its deadline or 30 s old, a reply whose requester died with the old process).
 */
export const DEFAULT_OFFLINE_SESSION_EXPIRY_MS = 5 * 60_000;

export interface OfflineSessionsOptions {
  /** how long a persistent session may stay offline; 0 = forever (Aedes's own behaviour) */
  expiryMs: number;
  onExpired?: (clientId: string, queuedMessages: number) => void;
  onError?: (clientId: string, err: Error) => void;
}

export class OfflineSessions {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly broker: Aedes,
    private readonly opts: OfflineSessionsOptions,
  ) {}

  /** Follow the broker's connects and disconnects until it closes. */
  start(): void {
    if (this.opts.expiryMs <= 0) return;
    this.broker.on('client', (c) => this.cancel(c.id));
    this.broker.on('clientDisconnect', (c) => this.offline(c));
    this.broker.once('closed', () => this.stop());
  }

  stop(): void {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** Persistent sessions waiting to expire (for tests and diagnostics). */
  get pending(): number {
    return this.timers.size;
  }

  private offline(client: Client): void {
    // a clean session already ended with its connection [MQTT-3.1.2-6]
    if (this.closed || client.clean !== false || !client.id) return;
    const id = client.id;
    this.cancel(id);
    const timer = setTimeout(() => {
      this.timers.delete(id);
      this.expire(id).catch((e: unknown) => this.opts.onError?.(id, e as Error));
    }, this.opts.expiryMs);
    timer.unref();
    this.timers.set(id, timer);
  }

  private cancel(id: string): void {
    const t = this.timers.get(id);
    if (t === undefined) return;
    clearTimeout(t);
    this.timers.delete(id);
  }

  private back(id: string): boolean {
    return this.closed || clientById(this.broker, id) !== undefined;
  }

  /**
   * What a clean:true CONNECT with this id would discard (aedes lib/handlers/connect.js fetchSubs,
   * emptyQueue, cleanIncoming), through the persistence interface Aedes itself uses. Subscriptions
   * go first, so nothing new is queued while the queue is emptied.
   */
  private async expire(id: string): Promise<void> {
    if (this.back(id)) return;
    const p = sessionStore(this.broker);
    const ref: ClientRef = { id };
    await p.cleanSubscriptions(ref);
    let queued = 0;
    for await (const packet of p.outgoingStream(ref)) {
      // The client is back (it reconnected in between): what is left is its own again.
      if (this.back(id)) break;
      // Queued offline packets have no message id yet: clearing by the (undefined) id removes the
      // oldest of them, so one call per packet empties the queue.
      await p.outgoingClearMessageId(ref, packet);
      queued++;
    }
    if (!this.back(id) && typeof p.cleanIncoming === 'function') await p.cleanIncoming(ref);
    this.opts.onExpired?.(id, queued);
  }
}
