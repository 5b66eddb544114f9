import type { Aedes, AedesPublishPacket, Client, PublishPacket } from 'aedes';
import { AliciaError } from '../../../services/lib/protocol/errors.js';
import type { AnyPrincipal } from '../../../services/lib/protocol/services.js';
import { topicFilterProblem, topicNameProblem } from '../../../services/lib/protocol/topicNames.js';
import { publisherIdOf } from './aedesInternals.js';
import type { BusPacket, InProcessBus } from './types.js';
import type { Logger } from '../../../services/lib/runtime/logger.js';

export interface HostBusOptions {
  /** the running broker, null while stopped */
  broker: () => Aedes | null;
  /** the principal of a connected client, and of a client id (null when not connected) */
  principalOf: (client: Client) => AnyPrincipal | undefined;
  principalOfId: (clientId: string) => AnyPrincipal | null;
  log: Logger;
}

/**
 * The broker as the host's in-process parts (recorder, supervisor) see it: every accepted message
 * (through Aedes's `published` hook), and publish / subscribe without a network client or ACL.
 */
export class HostBus implements InProcessBus {
  private readonly listeners = new Set<(p: BusPacket) => void>();
  private subs = 0;
  /** Aedes's own clustering chatter ($SYS/<broker id>/...), never handed to the host's parts */
  private internalSysPrefix = '\u0000';

  constructor(private readonly opts: HostBusOptions) {}

  /** The broker started: learn its id. */
  attach(broker: Aedes): void {
    this.internalSysPrefix = `$SYS/${broker.id}/`;
  }

  /** In-process subscriptions in force (counted in the broker's stats). */
  get subscriptions(): number {
    return this.subs;
  }

  /** Aedes's `published` hook: called for every message the broker accepted. */
  published(packet: AedesPublishPacket, client: Client | null, done: (error?: Error | null) => void): void {
    if (this.listeners.size > 0 && !packet.topic.startsWith(this.internalSysPrefix)) {
      const bp = this.toBusPacket(packet, client);
      for (const l of this.listeners) {
        try {
          l(bp);
        } catch (e) {
          this.opts.log.error('onPublish listener threw', { error: (e as Error).message });
        }
      }
    }
    done(null);
  }

  onPublish(listener: (packet: BusPacket) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  publish(topic: string, payload: Buffer | string, opts: { qos?: 0 | 1; retain?: boolean } = {}): Promise<void> {
    const broker = this.running();
    const problem = topicNameProblem(topic);
    if (problem) return Promise.reject(new AliciaError('SCHEMA_INVALID', `cannot publish to ${JSON.stringify(topic)}: ${problem.message}`));
    const packet: PublishPacket = {
      cmd: 'publish',
      topic,
      payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
      qos: opts.qos ?? 0,
      retain: opts.retain ?? false,
      dup: false,
    };
    return new Promise((resolve, reject) => broker.publish(packet, (err) => (err ? reject(err) : resolve())));
  }

  async subscribe(filter: string, handler: (packet: BusPacket) => void): Promise<() => Promise<void>> {
    const broker = this.running();
    const problem = topicFilterProblem(filter);
    if (problem) throw new AliciaError('SCHEMA_INVALID', `cannot subscribe to ${JSON.stringify(filter)}: ${problem.message}`);
    const wildcardRoot = filter.startsWith('+') || filter.startsWith('#');
    const deliver = (packet: AedesPublishPacket, cb: () => void) => {
      // same rules a network subscriber gets: '#'/'+' at the root skip $-topics [MQTT-4.7.2-1];
      // Aedes's internal $SYS/<id>/... clustering chatter is never delivered in-process
      if (!(wildcardRoot && packet.topic.startsWith('$')) && !packet.topic.startsWith(this.internalSysPrefix)) {
        try {
          handler(this.toBusPacket(packet, null));
        } catch (e) {
          this.opts.log.error('in-process subscriber threw', { filter, error: (e as Error).message });
        }
      }
      cb();
    };
    await new Promise<void>((res) => broker.subscribe(filter, deliver, () => res()));
    this.subs++;
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      this.subs--;
      // a stopped broker's subscriptions went with it
      const b = this.opts.broker();
      if (b) await new Promise<void>((res) => b.unsubscribe(filter, deliver, () => res()));
    };
  }

  private running(): Aedes {
    const broker = this.opts.broker();
    if (!broker) throw new AliciaError('NOT_CONNECTED', 'broker is not started');
    return broker;
  }

  private toBusPacket(packet: AedesPublishPacket, client: Client | null): BusPacket {
    let clientId: string | null = null;
    let principal: AnyPrincipal | null = null;
    if (client) {
      clientId = client.id;
      principal = this.opts.principalOf(client) ?? null;
    } else {
      const id = publisherIdOf(packet);
      if (id !== undefined) {
        clientId = id;
        principal = this.opts.principalOfId(id);
      }
    }
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    return { topic: packet.topic, payload, qos: packet.qos, retain: packet.retain, clientId, principal, time: Date.now() };
  }
}
