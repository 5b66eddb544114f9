import type { IPublishPacket, MqttClient } from 'mqtt';
import { decode } from '../protocol/decode.js';
import { AliciaError, toErrorInfo } from '../protocol/errors.js';
import { SHARE_PREFIX } from '../protocol/sharedSubscription.js';
import { patternOf, topicMatches } from '../protocol/topics.js';
import type { MessageOf, TopicPattern } from '../protocol/topics.js';
import type { Logger } from './logger.js';
import type { ServiceMetrics } from './metrics.js';

/** A raw message handler: it must not throw (callers wrap theirs). */
export type MessageHandler = (topic: string, payload: Buffer, packet: IPublishPacket) => void;

/** What the subscription table needs of its service. */
export interface SubscriptionsHost {
  /** names the service in errors */
  readonly name: string;
  readonly log: Logger;
  readonly metrics: ServiceMetrics;
}

/**
 * A service's subscription table: the handlers by filter, and the filters subscribed on the broker
 * with their QoS, so a reconnect to a broker that lost the session can subscribe them all again.
 * It also wraps a service's event handlers: decoded, counted, timed, and their failures logged.
 */
export class Subscriptions {
  private readonly handlers: { filter: string; fn: MessageHandler }[] = [];
  private readonly subscribed = new Map<string, 0 | 1>();

  constructor(private readonly host: SubscriptionsHost) {}

  /**
   * Add a handler; subscribe on the broker (when connected) unless the filter already is, at this QoS
   * or higher. `brokerFilter`: what to subscribe when it is not `filter` itself (a shared
   * subscription `$share/<group>/<filter>`, whose messages arrive on topics `filter` matches).
   */
  async add(client: MqttClient | null, filter: string, fn: MessageHandler, qos: 0 | 1, brokerFilter = filter): Promise<void> {
    this.handlers.push({ filter, fn });
    const have = this.subscribed.get(brokerFilter);
    if (have !== undefined && have >= qos) return;
    this.subscribed.set(brokerFilter, qos);
    if (client) await this.subscribeOnBroker(client, brokerFilter, qos);
  }

  /** Remove every handler of this exact filter and unsubscribe it. */
  async remove(client: MqttClient | null, filter: string): Promise<void> {
    for (let i = this.handlers.length - 1; i >= 0; i--) if (this.handlers[i]?.filter === filter) this.handlers.splice(i, 1);
    if (this.subscribed.delete(filter) && client) await client.unsubscribeAsync(filter).catch(() => undefined);
  }

  /** After a reconnect without a session: subscribe everything again, logging each refusal. */
  async resubscribeAll(client: MqttClient): Promise<void> {
    for (const [filter, qos] of this.subscribed) {
      await this.subscribeOnBroker(client, filter, qos).catch((e: unknown) =>
        this.host.log.error('resubscribe failed', { filter, ...toErrorInfo(e) }),
      );
    }
  }

  /**
   * After a reconnect that kept the session: unsubscribe and subscribe each shared subscription again.
   * Mosquitto 2.0.11 restores a persistent session's `$share/` subscriptions from its database after a
   * restart but delivers nothing on them (a SUBSCRIBE alone does not mend it; checked here with
   * Debian's). Only where the broker needs it (InstanceIdentity.renewShared): on Alicia's broker an
   * UNSUBSCRIBE by the group's last member ends the group and the requests it holds for its members.
   */
  async renewShared(client: MqttClient): Promise<void> {
    for (const [filter, qos] of this.subscribed) {
      if (!filter.startsWith(SHARE_PREFIX)) continue;
      await client.unsubscribeAsync(filter).catch(() => undefined);
      await this.subscribeOnBroker(client, filter, qos).catch((e: unknown) =>
        this.host.log.error('resubscribe failed', { filter, ...toErrorInfo(e) }),
      );
    }
  }

  /** Hand a message to every handler whose filter matches its topic. */
  dispatch(topic: string, payload: Buffer, packet: IPublishPacket): void {
    for (const h of this.handlers) {
      if (topicMatches(h.filter, topic)) h.fn(topic, payload, packet);
    }
  }

  /**
   * A handler of declared topics: each message is decoded and validated; invalid ones are logged,
   * counted and dropped (events have no one to answer). An empty payload (a cleared retained topic)
   * goes to onClear.
   */
  decoded<P extends TopicPattern>(
    handler: (msg: MessageOf<P>, topic: string) => void | Promise<void>,
    onClear?: (topic: string) => void,
  ): MessageHandler {
    const { log, metrics } = this.host;
    return (topic, payload) => {
      const pattern = patternOf(topic);
      if (!pattern) return;
      metrics.countIn(pattern);
      if (payload.length === 0) {
        onClear?.(topic);
        return;
      }
      let msg: MessageOf<P>;
      try {
        msg = decode(pattern, payload) as MessageOf<P>;
      } catch (e) {
        metrics.countError(pattern);
        log.warn('dropped invalid message', { topic, ...toErrorInfo(e) });
        return;
      }
      this.run(pattern, () => handler(msg, topic));
    };
  }

  /** A handler of foreign topics: raw bytes, counted under its filter. */
  raw(filter: string, handler: (topic: string, payload: Buffer, packet: IPublishPacket) => void | Promise<void>): MessageHandler {
    return (topic, payload, packet) => {
      this.host.metrics.countIn(filter);
      this.run(filter, () => handler(topic, payload, packet));
    };
  }

  /** Run a service's handler: timed, and a throw or rejection logged and counted, never passed on. */
  private run(pattern: string, fn: () => void | Promise<void>): void {
    const { log, metrics } = this.host;
    const t0 = performance.now();
    const done = () => metrics.latency.add(performance.now() - t0);
    const failed = (e: unknown) => {
      done();
      metrics.countError(pattern);
      log.error('handler failed', { pattern, ...toErrorInfo(e) });
    };
    try {
      const r = fn();
      if (r && typeof r.then === 'function') r.then(done, failed);
      else done();
    } catch (e) {
      failed(e);
    }
  }

  private async subscribeOnBroker(client: MqttClient, filter: string, qos: 0 | 1): Promise<void> {
    // MQTT 3.1.1 section 3.9.3: 0x80 in the SUBACK = refused (here: the broker's ACL). MQTT.js 5
    // rejects subscribeAsync for it ("Unspecified error"); older versions resolve with qos 128.
    const granted = await client.subscribeAsync(filter, { qos }).catch((e: unknown) => {
      throw new AliciaError(
        'INTERNAL',
        `${this.host.name}: subscription to ${filter} refused by the broker (ACL): ${(e as Error).message}`,
      );
    });
    if (granted.some((g) => g.qos === 128)) {
      throw new AliciaError('INTERNAL', `${this.host.name}: subscription to ${filter} refused by the broker (ACL)`);
    }
  }
}
