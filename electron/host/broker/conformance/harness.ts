import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { RawClient, puback, publish, pubrec, pubrel, subscribe, type ConnectOptions, type ServerPacket } from '../testing/rawMqtt.js';
import { startTestBroker, type TestBroker, type TestBrokerOptions } from '../testing/testBroker.js';

export type Publish = Extract<ServerPacket, { cmd: 'publish' }>;

/**
 * One embedded broker for a conformance test file, and raw connections to it (testing/rawMqtt.ts)
 * that send exactly the bytes a test builds. Every connection authenticates as the operator (who
 * may publish and subscribe anywhere) unless a test gives other credentials.
 */
export class Conformance {
  private broker: TestBroker | null = null;
  private readonly clients: RawClient[] = [];
  private ids = 0;

  async start(opts: TestBrokerOptions = {}): Promise<void> {
    this.broker = await startTestBroker(opts);
  }

  async stop(): Promise<void> {
    this.closeAll();
    await this.broker?.stop();
  }

  closeAll(): void {
    for (const c of this.clients.splice(0)) c.destroy();
  }

  get tb(): TestBroker {
    if (!this.broker) throw new Error('start() first');
    return this.broker;
  }

  get operator(): { username: string; password: string } {
    return this.tb.credentials.operator;
  }

  /** A fresh client id for a test that does not care which. */
  id(prefix = 'c'): string {
    return `${prefix}${++this.ids}`;
  }

  /** A TCP connection that has sent nothing yet. */
  async socket(): Promise<RawClient> {
    const c = await RawClient.open(this.tb.url);
    this.clients.push(c);
    return c;
  }

  /** Connected as the operator (CONNACK 0 checked), with the CONNACK. */
  async connected(o: Partial<ConnectOptions> = {}): Promise<{ client: RawClient; connack: Extract<ServerPacket, { cmd: 'connack' }> }> {
    const r = await RawClient.connected(this.tb.url, { clientId: this.id(), ...this.operator, ...o });
    this.clients.push(r.client);
    return r;
  }

  async client(o: Partial<ConnectOptions> = {}): Promise<RawClient> {
    return (await this.connected(o)).client;
  }

  /** SUBSCRIBE and its SUBACK (granted codes returned). */
  async subscribe(c: RawClient, subs: { topic: string; qos: number }[], messageId = 1): Promise<number[]> {
    c.send(subscribe(messageId, subs));
    const ack = await c.nextOf('suback');
    expect(ack.messageId).toBe(messageId);
    return ack.granted;
  }

  /**
   * Publish from a connection of its own and close it. At QoS 2 (the default) this returns once the
   * message is routed (Aedes sends the PUBREC after routing; for QoS 1 it sends the PUBACK first), so
   * a sentinel published afterwards reaches each subscriber after it.
   */
  async publish(topic: string, payload: string, o: { retain?: boolean; qos?: 0 | 1 | 2 } = {}): Promise<void> {
    const p = await this.client({ clientId: this.id('pub') });
    const qos = o.qos ?? 2;
    p.send(publish({ topic, payload, qos, retain: o.retain ?? false, messageId: 1 }));
    if (qos === 1) await p.nextOf('puback');
    if (qos === 2) {
      await p.nextOf('pubrec');
      p.send(pubrel(1));
      await p.nextOf('pubcomp');
    }
    p.destroy();
  }

  /** A message published by the broker itself, resolved once it is routed: the sentinel of until(). */
  sentinel(topic: string): Promise<void> {
    return this.tb.broker.publish(topic, 'sentinel', { qos: 1 });
  }

  /**
   * PUBLISHes `c` receives up to and including the one on `sentinel` (published with sentinel()
   * right after what the test looks for): everything routed to `c` before it has arrived by then,
   * so what is missing from the list was not sent. Each PUBLISH that needs one is acknowledged.
   */
  async until(c: RawClient, sentinel: string): Promise<Publish[]> {
    const out: Publish[] = [];
    for (;;) {
      const p = await c.nextOf('publish');
      out.push(p);
      if (p.qos === 1) c.send(puback(p.messageId!));
      if (p.qos === 2) c.send(pubrec(p.messageId!));
      if (p.topic === sentinel && text(p) === 'sentinel') return out;
    }
  }

  /** The connection closes without the server sending anything more. */
  async closedSilently(c: RawClient): Promise<void> {
    expect(await c.untilClosed()).toEqual([]);
  }
}

export const text = (p: Publish): string => p.payload.toString();

/** A Conformance for this test file: its broker starts before the tests and stops after; connections close after each test. */
export function useConformance(opts: TestBrokerOptions = {}): Conformance {
  const h = new Conformance();
  beforeAll(() => h.start(opts));
  afterEach(() => h.closeAll());
  afterAll(() => h.stop());
  return h;
}
