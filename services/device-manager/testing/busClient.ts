import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import type { Socket } from 'node:net';
import { newId, seal } from '../../lib/protocol/envelope.js';

/**
 * A plain MQTT.js client for bus tests (the operator, a fake Home Assistant device): raw topics,
 * JSON helpers, and "wait for a message that matches" with a deadline.
 */
export class TestClient {
  private constructor(readonly client: MqttClient) {}

  static async connect(url: string, cred: { username: string; password: string }): Promise<TestClient> {
    const client = await mqtt.connectAsync(url, {
      username: cred.username,
      password: cred.password,
      protocolVersion: 4,
      clientId: `test-${newId().slice(0, 8)}`,
      reconnectPeriod: 0,
    });
    (client.stream as Partial<Socket>).setNoDelay?.(true);
    return new TestClient(client);
  }

  async sub(filter: string): Promise<void> {
    const granted = await this.client.subscribeAsync(filter, { qos: 1 });
    if (granted.some((g) => g.qos === 128)) throw new Error(`subscription to ${filter} refused`);
  }

  async pub(topic: string, payload: string | object, opts: { retain?: boolean } = {}): Promise<void> {
    await this.client.publishAsync(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), {
      qos: 1,
      retain: opts.retain ?? false,
    });
  }

  /** Resolve with the first message (already subscribed) on a matching topic that passes `pred`. */
  next(
    match: (topic: string) => boolean,
    pred: (payload: Buffer, retain: boolean, topic: string) => boolean = () => true,
    timeoutMs = 5_000,
  ): Promise<{ topic: string; payload: Buffer; retain: boolean }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.client.off('message', on);
        reject(new Error(`no matching message within ${timeoutMs} ms`));
      }, timeoutMs);
      const on = (topic: string, payload: Buffer, packet: { retain?: boolean }) => {
        if (!match(topic) || !pred(payload, packet.retain === true, topic)) return;
        clearTimeout(timer);
        this.client.off('message', on);
        resolve({ topic, payload, retain: packet.retain === true });
      };
      this.client.on('message', on);
    });
  }

  /** Next JSON message on exactly `topic` satisfying `pred`. */
  async nextJson(
    topic: string,
    pred: (m: Record<string, unknown>) => boolean = () => true,
    timeoutMs = 5_000,
  ): Promise<Record<string, unknown>> {
    const m = await this.next(
      (t) => t === topic,
      (p) => {
        if (p.length === 0) return false;
        try {
          return pred(JSON.parse(p.toString()) as Record<string, unknown>);
        } catch {
          return false;
        }
      },
      timeoutMs,
    );
    return JSON.parse(m.payload.toString()) as Record<string, unknown>;
  }

  /** Every message on matching topics for `ms` milliseconds (to prove something did NOT arrive). */
  collect(match: (topic: string) => boolean, ms: number): Promise<{ topic: string; payload: Buffer; retain: boolean }[]> {
    const got: { topic: string; payload: Buffer; retain: boolean }[] = [];
    const on = (topic: string, payload: Buffer, packet: { retain?: boolean }) => {
      if (match(topic)) got.push({ topic, payload, retain: packet.retain === true });
    };
    this.client.on('message', on);
    return new Promise((resolve) =>
      setTimeout(() => {
        this.client.off('message', on);
        resolve(got);
      }, ms),
    );
  }

  /** Send an Alicia request and await the correlated reply (or error) on `replyTopic`. */
  async request(topic: string, replyTopic: string, body: object, timeoutMs = 5_000): Promise<Record<string, unknown>> {
    await this.sub(replyTopic);
    const correlation_id = newId();
    const reply = this.nextJson(replyTopic, (m) => m.correlation_id === correlation_id, timeoutMs);
    await this.pub(topic, seal(body, { source: 'operator', correlation_id }));
    return reply;
  }

  /**
   * A retained message as a late subscriber sees it (fresh subscription on a fresh client), or null
   * when there is none. Absence is proven by a sentinel, not by waiting: the broker starts sending a
   * subscription's retained messages right after its SUBACK (Aedes completeSubscribe), so a message
   * this client publishes to itself only after that SUBACK arrives behind them. `cred` must be
   * allowed to publish outside alicia/ (window, operator).
   */
  static async retained(
    url: string,
    cred: { username: string; password: string },
    topic: string,
    timeoutMs = 5_000,
  ): Promise<Record<string, unknown> | null> {
    const c = await TestClient.connect(url, cred);
    const sentinel = `test/sentinel/${newId()}`;
    try {
      const first = c.next(
        (t) => t === sentinel || t === topic,
        // a live (not retained) message on the topic itself is not what a late subscriber is given
        (_p, retain, t) => retain || t === sentinel,
        timeoutMs,
      );
      await c.sub(topic);
      await c.sub(sentinel);
      await c.pub(sentinel, 'end');
      const m = await first;
      if (m.topic === sentinel) return null;
      return m.payload.length > 0 ? (JSON.parse(m.payload.toString()) as Record<string, unknown>) : null;
    } finally {
      await c.close();
    }
  }

  async close(): Promise<void> {
    await this.client.endAsync(true).catch(() => undefined);
  }
}
