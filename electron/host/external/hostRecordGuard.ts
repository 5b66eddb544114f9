import type { Logger } from '../../../services/lib/runtime/logger.js';
import { HOST_ONLY_TOPICS } from '../broker/acl.js';
import type { BusPacket, InProcessBus } from '../broker/types.js';

/** Own publishes not yet seen coming back, per topic; more means something is wrong with the echo. */
const PENDING_MAX = 32;

/**
 * The host-only records (alicia/system/host: the certificate fingerprint the window shows;
 * alicia/system/window/sessions) on a broker that cannot keep others from writing them: Mosquitto's
 * acl_file has no "everything except" for `operator` and `window-shared`, who must read them
 * (mosquittoConfig.ts). This bus wrapper remembers what the host published there and watches the
 * topics: anything else that appears (a forged record, a cleared one) is logged and the host's own
 * record is published again at once, so the retained value is the host's and a window sees a forged
 * one at most for a round trip. (The window proxy refuses these publishes outright for every window.)
 *
 * Wraps the `host` part's bus; start() subscribes, stop() unsubscribes.
 */
export class HostRecordGuard implements InProcessBus {
  private readonly last = new Map<string, { payload: Buffer; retain: boolean }>();
  /** payloads published and not yet echoed, oldest first */
  private readonly pending = new Map<string, Buffer[]>();
  private offs: (() => Promise<void>)[] = [];
  private restored = 0;

  constructor(
    private readonly bus: InProcessBus,
    private readonly log: Logger,
  ) {}

  /** Records put back so far. */
  get restorations(): number {
    return this.restored;
  }

  async start(): Promise<void> {
    for (const topic of HOST_ONLY_TOPICS) this.offs.push(await this.bus.subscribe(topic, (p) => this.onRecord(p)));
  }

  async stop(): Promise<void> {
    for (const off of this.offs.splice(0)) await off().catch(() => undefined);
  }

  onPublish(listener: (packet: BusPacket) => void): () => void {
    return this.bus.onPublish(listener);
  }

  subscribe(filter: string, handler: (packet: BusPacket) => void): Promise<() => Promise<void>> {
    return this.bus.subscribe(filter, handler);
  }

  publish(topic: string, payload: Buffer | string, opts: { qos?: 0 | 1; retain?: boolean } = {}): Promise<void> {
    if (HOST_ONLY_TOPICS.has(topic)) {
      const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
      this.last.set(topic, { payload: bytes, retain: opts.retain ?? false });
      const list = this.pending.get(topic) ?? [];
      list.push(bytes);
      if (list.length > PENDING_MAX) list.shift();
      this.pending.set(topic, list);
    }
    return this.bus.publish(topic, payload, opts);
  }

  private onRecord(p: BusPacket): void {
    const list = this.pending.get(p.topic) ?? [];
    const i = list.findIndex((b) => b.equals(p.payload));
    if (i >= 0) {
      // our own, on its way back (earlier ones were overtaken by it)
      list.splice(0, i + 1);
      return;
    }
    const own = this.last.get(p.topic);
    // the retained record of an earlier run of this host, replayed on subscribe: ours is on its way
    if (!own || (p.retain && list.length > 0)) return;
    if (own.payload.equals(p.payload)) return;
    this.restored++;
    this.log.warn('a host-only record was published by someone else; the host put its own back', {
      topic: p.topic,
      bytes: p.payload.length,
    });
    this.publish(p.topic, own.payload, { qos: 1, retain: own.retain }).catch((e: unknown) =>
      this.log.warn('could not put the host record back', { topic: p.topic, error: (e as Error).message }),
    );
  }
}
