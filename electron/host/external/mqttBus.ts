import mqtt from 'mqtt';
import type { IClientOptions, IPublishPacket, MqttClient } from 'mqtt';
import type { Socket } from 'node:net';
import { AliciaError } from '../../../services/lib/protocol/errors.js';
import type { StoredPrincipal } from '../../../services/lib/protocol/services.js';
import { topicFilterProblem, topicNameProblem } from '../../../services/lib/protocol/topicNames.js';
import { topicMatches } from '../../../services/lib/protocol/topics.js';
import type { Logger } from '../../../services/lib/runtime/logger.js';
import type { BusPacket, Credential, InProcessBus } from '../broker/types.js';
import { describeConnectFailure } from './brokerProbe.js';
import type { ExternalTls } from './externalBroker.js';

/** Mosquitto's count of messages it dropped for full queues (all clients); other brokers may have none. */
export const MOSQUITTO_DROPPED_TOPIC = '$SYS/broker/publish/messages/dropped';

export interface MqttBusOptions {
  /** whose credential it connects with (log lines and errors name it) */
  principal: StoredPrincipal;
  url: string;
  credential: Credential;
  tls: ExternalTls | null;
  /** fixed per part, so its persistent session outlives a host restart */
  clientId: string;
  log: Logger;
  /**
   * Receive every message for onPublish listeners (the recorder): one subscription to `#` (every
   * filter this bus is asked for that `#` covers rides on it, so no message arrives twice) and
   * Mosquitto's dropped-messages counter, for the gap count.
   */
  firehose?: boolean;
  /** how long start() waits for the first CONNACK (default 15 s) */
  connectTimeoutMs?: number;
  /** the last will: what the broker publishes when this connection ends without a DISCONNECT */
  will?: { topic: string; payload: string; qos: 0 | 1; retain: boolean };
}

/** What a firehose bus knows about messages it may have missed (docs/decisions.md, "Gaps on your broker"). */
export interface BusGaps {
  /** connections lost since start */
  disconnects: number;
  /** time spent disconnected, ms (messages published meanwhile wait in the broker's session queue) */
  disconnected_ms: number;
  /** reconnections where the broker had no session for us: what was published while we were away is gone */
  sessions_lost: number;
  /**
   * growth of the broker's own dropped-messages counter while we watched ($SYS/broker/publish/messages/dropped,
   * Mosquitto): counts drops for every client, so it bounds ours from above; null when the broker publishes none
   */
  broker_dropped: number | null;
}

export type ConnectionEvent =
  { connected: true; at: number; sessionPresent: boolean; downMs: number | null } | { connected: false; at: number };

interface Sub {
  filter: string;
  handlers: Set<(p: BusPacket) => void>;
  /** rides on the firehose's `#` (no SUBSCRIBE of its own) */
  onFirehose: boolean;
}

/**
 * The host's bus interface (InProcessBus) as an MQTT client of the user's own broker, for one of
 * the host's parts (host, supervisor, recorder), each with its own principal, so that broker's ACL
 * applies to them as to any service. Persistent session (clean: false) and QoS 1 subscriptions: what
 * is published while the connection is down waits in the broker and arrives on reconnect.
 *
 * Differences from the embedded broker's in-process bus, which the callers accept: packets carry no
 * publisher (MQTT 3.1.1 does not say who published; `clientId` and `principal` are null, the broker's
 * ACL has vouched for it), `time` is when it arrived here, and `retain` is the delivery's flag (1 only
 * for stored messages sent on subscribe, MQTT-3.3.1-9). onPublish listeners get live messages only:
 * the retained ones a (re)subscription replays were recorded when they were published.
 *
 * Constructor assigns, start() connects (and subscribes the firehose), stop() disconnects; both can run twice.
 */
export class MqttBus implements InProcessBus {
  private client: MqttClient | null = null;
  private readonly subs = new Map<string, Sub>();
  private readonly listeners = new Set<(p: BusPacket) => void>();
  private readonly connectionListeners = new Set<(e: ConnectionEvent) => void>();
  private connected = false;
  private everConnected = false;
  private downSince: number | null = null;
  private stopping: Promise<void> | null = null;
  private readonly gapCounts = { disconnects: 0, disconnected_ms: 0, sessions_lost: 0 };
  /** the broker's dropped-messages counter: its last value, and how much it grew while we watched */
  private droppedLast: number | null = null;
  private droppedTotal: number | null = null;

  constructor(private readonly opts: MqttBusOptions) {}

  get principal(): StoredPrincipal {
    return this.opts.principal;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  async start(): Promise<void> {
    if (this.client) return;
    const o = this.opts;
    const options: IClientOptions = {
      clientId: o.clientId,
      username: o.credential.username,
      password: o.credential.password,
      clean: false,
      protocolVersion: 4, // standard MQTT 3.1.1: every broker speaks it, the embedded one nothing newer
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      keepalive: 30,
      ...(o.will ? { will: { ...o.will, payload: Buffer.from(o.will.payload) } } : {}),
      ...(o.tls ?? {}),
    };
    const client = mqtt.connect(o.url, options);
    this.client = client;
    client.on('connect', (connack) => this.onConnect(client, connack.sessionPresent));
    client.on('close', () => this.onClose());
    client.on('error', (err) => o.log.debug('broker connection error', { principal: o.principal, error: err.message }));
    client.on('message', (topic, payload, packet) => this.dispatch(topic, payload, packet));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new AliciaError(
              'BROKER_UNREACHABLE',
              `cannot reach the broker at ${o.url} as ${o.principal} within ${Math.round((o.connectTimeoutMs ?? 15_000) / 1000)} s`,
            ),
          );
        }, o.connectTimeoutMs ?? 15_000);
        const onConnect = () => {
          cleanup();
          resolve();
        };
        const onError = (err: Error) => {
          // a refused credential will not get better by retrying: say which and why
          if (typeof (err as { code?: unknown }).code === 'number') {
            cleanup();
            reject(describeConnectFailure(err, o.url, o.principal));
          }
        };
        const cleanup = () => {
          clearTimeout(timer);
          client.off('connect', onConnect);
          client.off('error', onError);
        };
        client.on('connect', onConnect);
        client.on('error', onError);
      });
      if (o.firehose) {
        await this.mqttSubscribe(client, '#');
        // absent on brokers without Mosquitto's $SYS tree: then broker_dropped stays null
        await this.mqttSubscribe(client, MOSQUITTO_DROPPED_TOPIC);
      }
    } catch (e) {
      this.client = null;
      client.end(true);
      throw e;
    }
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const c = this.client;
      this.client = null;
      if (!c) return;
      // graceful (in-flight QoS 1 finish) unless the broker is gone
      await Promise.race([c.endAsync(false), new Promise((r) => setTimeout(r, 2000).unref())]).catch(() => undefined);
      c.end(true);
      this.connected = false;
    })();
    return this.stopping;
  }

  /** Called on every connect and disconnect (the host's connection-lost/restored state). Returns the unsubscribe. */
  onConnectionChange(listener: (e: ConnectionEvent) => void): () => void {
    this.connectionListeners.add(listener);
    return () => void this.connectionListeners.delete(listener);
  }

  gaps(): BusGaps {
    const down = this.downSince === null ? 0 : Date.now() - this.downSince;
    return { ...this.gapCounts, disconnected_ms: this.gapCounts.disconnected_ms + down, broker_dropped: this.droppedTotal };
  }

  // ------------------------------------------------------------------------------------------
  // InProcessBus

  onPublish(listener: (packet: BusPacket) => void): () => void {
    if (!this.opts.firehose)
      throw new AliciaError('INTERNAL', `the ${this.opts.principal} bus does not receive every message (firehose off)`);
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  publish(topic: string, payload: Buffer | string, opts: { qos?: 0 | 1; retain?: boolean } = {}): Promise<void> {
    const problem = topicNameProblem(topic);
    if (problem) return Promise.reject(new AliciaError('SCHEMA_INVALID', `cannot publish to ${JSON.stringify(topic)}: ${problem.message}`));
    const c = this.client;
    if (!c) return Promise.reject(new AliciaError('NOT_CONNECTED', `the ${this.opts.principal} bus is not started`));
    // while the broker is away MQTT.js keeps it (QoS 1 in its outgoing store) and sends it on reconnect
    return c.publishAsync(topic, payload, { qos: opts.qos ?? 0, retain: opts.retain ?? false }).then(
      () => undefined,
      (e: unknown) => {
        throw new AliciaError('NOT_CONNECTED', `publish to ${topic} failed: ${(e as Error).message}`);
      },
    );
  }

  async subscribe(filter: string, handler: (packet: BusPacket) => void): Promise<() => Promise<void>> {
    const problem = topicFilterProblem(filter);
    if (problem) throw new AliciaError('SCHEMA_INVALID', `cannot subscribe to ${JSON.stringify(filter)}: ${problem.message}`);
    const c = this.client;
    if (!c) throw new AliciaError('NOT_CONNECTED', `the ${this.opts.principal} bus is not started`);
    let sub = this.subs.get(filter);
    if (!sub) {
      // `#` covers every topic but the $-topics [MQTT-4.7.2-1]
      sub = { filter, handlers: new Set(), onFirehose: this.opts.firehose === true && !filter.startsWith('$') };
      this.subs.set(filter, sub);
      if (!sub.onFirehose) {
        try {
          await this.mqttSubscribe(c, filter);
        } catch (e) {
          this.subs.delete(filter);
          throw e;
        }
      }
    }
    sub.handlers.add(handler);
    const s = sub;
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      s.handlers.delete(handler);
      if (s.handlers.size > 0) return;
      this.subs.delete(filter);
      if (!s.onFirehose && this.client?.connected) await this.client.unsubscribeAsync(filter).catch(() => undefined);
    };
  }

  // ------------------------------------------------------------------------------------------

  private async mqttSubscribe(c: MqttClient, filter: string): Promise<void> {
    let granted: { qos: number }[];
    try {
      granted = await c.subscribeAsync(filter, { qos: 1 });
    } catch (e) {
      // MQTT.js 5 rejects a SUBACK 0x80 with the packet attached
      const codes = (e as { packet?: { granted?: number[] } }).packet?.granted;
      if (codes?.[0] === 0x80) granted = [{ qos: 0x80 }];
      else throw new AliciaError('NOT_CONNECTED', `subscribe to ${filter} failed: ${(e as Error).message}`);
    }
    if (granted[0]?.qos === 0x80) {
      throw new AliciaError(
        'BROKER_REFUSED',
        `the broker at ${this.opts.url} refused ${this.opts.principal}'s subscription to ${filter} (SUBACK 0x80): its ACL lacks a row docs/security.md grants; regenerate it (alicia broker-config)`,
      );
    }
  }

  private onConnect(client: MqttClient, sessionPresent: boolean): void {
    // Nagle + delayed ACK cost ~88 ms per QoS 1 round trip (docs/benchmarks.md); MQTT.js has no option for it
    (client.stream as Partial<Socket>).setNoDelay?.(true);
    const at = Date.now();
    const downMs = this.downSince === null ? null : at - this.downSince;
    if (this.downSince !== null) this.gapCounts.disconnected_ms += at - this.downSince;
    this.downSince = null;
    const reconnect = this.everConnected;
    this.everConnected = true;
    this.connected = true;
    if (reconnect) {
      // MQTT.js subscribes again by itself when the session is gone (its `resubscribe`)
      if (!sessionPresent) this.gapCounts.sessions_lost++;
      this.opts.log[sessionPresent ? 'info' : 'warn']('broker connection restored', {
        principal: this.opts.principal,
        after_ms: downMs,
        session_present: sessionPresent,
      });
    }
    this.emit({ connected: true, at, sessionPresent, downMs });
  }

  private onClose(): void {
    if (!this.connected) return;
    this.connected = false;
    this.downSince = Date.now();
    this.gapCounts.disconnects++;
    if (this.client) this.opts.log.warn('broker connection lost', { principal: this.opts.principal, url: this.opts.url });
    this.emit({ connected: false, at: this.downSince });
  }

  private emit(e: ConnectionEvent): void {
    for (const l of this.connectionListeners) {
      try {
        l(e);
      } catch (err) {
        this.opts.log.error('connection listener threw', { error: (err as Error).message });
      }
    }
  }

  private dispatch(topic: string, payload: Buffer, packet: IPublishPacket): void {
    if (topic === MOSQUITTO_DROPPED_TOPIC && this.opts.firehose) {
      const n = Number(payload.toString('utf8'));
      if (Number.isInteger(n) && n >= 0) {
        // the first value is the broker's past, not ours; a smaller one means the broker restarted
        // and began counting again, all of it since then (while we were away, too)
        if (this.droppedLast === null) this.droppedTotal ??= 0;
        else this.droppedTotal = (this.droppedTotal ?? 0) + (n >= this.droppedLast ? n - this.droppedLast : n);
        this.droppedLast = n;
      }
      if (!this.subs.has(topic)) return;
    }
    const bp: BusPacket = {
      topic,
      payload,
      qos: packet.qos,
      retain: packet.retain,
      clientId: null,
      principal: null,
      time: Date.now(),
    };
    if (!packet.retain) {
      for (const l of this.listeners) {
        try {
          l(bp);
        } catch (e) {
          this.opts.log.error('onPublish listener threw', { error: (e as Error).message });
        }
      }
    }
    for (const sub of this.subs.values()) {
      if (!topicMatches(sub.filter, topic)) continue;
      for (const h of sub.handlers) {
        try {
          h(bp);
        } catch (e) {
          this.opts.log.error('subscriber threw', { filter: sub.filter, error: (e as Error).message });
        }
      }
    }
  }
}
