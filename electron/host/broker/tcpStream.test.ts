import type { AedesOptions } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { connectClient, waitFor } from './testing/mqttClient.js';
import { startTestBroker, type TestBroker } from './testing/testBroker.js';

/**
 * A client whose connection is reset (its process killed with kill -9) loses nothing it had already
 * sent: every PUBLISH that reached the broker is routed, also those the broker had not read yet
 * because it was still busy with the ones before; and the QoS 1 messages in flight to it stay in
 * its persistent session and arrive when it is back.
 */

let tb: TestBroker | null = null;

// Stopping the broker ends every client's connection; none reconnects (reconnectPeriod 0).
afterEach(async () => {
  await tb?.stop();
  tb = null;
});

type Published = NonNullable<AedesOptions['published']>;

async function client(b: TestBroker, who: 'operator' | 'device-manager', clientId: string): Promise<MqttClient> {
  const c = await connectClient(b.url, { ...b.credentials[who], clientId });
  c.on('error', () => undefined); // the reset ones
  return c;
}

/** Payloads on `topic`, as a set (QoS 1 may deliver twice). */
async function received(c: MqttClient, topic: string): Promise<Set<string>> {
  const got = new Set<string>();
  c.on('message', (t, payload) => {
    if (t === topic) got.add(payload.toString());
  });
  await c.subscribeAsync(topic, { qos: 1 });
  return got;
}

describe('a client connection that is reset', () => {
  it('routes every PUBLISH that arrived before the reset, also those the broker had not read yet', async () => {
    tb = await startTestBroker();
    const topic = 'alicia/device/response';
    const got = await received(await client(tb, 'operator', 'listener'), topic);
    const svc = await client(tb, 'device-manager', 'killed-publisher');

    // A loaded broker: each PUBLISH takes 50 ms to finish (routed, acknowledged, then held here), and
    // Aedes reads a connection's next bytes only once the packets it read before are done. While it
    // works on a first burst a second one arrives and the connection is reset: the second burst
    // sits unread in the broker's socket buffer.
    const aedes = tb.broker.aedes as unknown as { published: Published };
    const published = aedes.published;
    let second = false;
    aedes.published = (packet, c, done) => {
      published(packet, c, (err) => setTimeout(() => done(err), 50));
      if (second || packet.topic !== topic) return;
      second = true;
      for (let i = 50; i < 100; i++) svc.publish(topic, `m${i}`, { qos: 1 });
      // reset once the broker's side of the connection holds them, read from the socket but unparsed
      const conn = (c as unknown as { conn: Readable }).conn;
      const resetWhenBuffered = () => {
        if (conn.readableLength > 0) (svc.stream as Socket).resetAndDestroy();
        else setImmediate(resetWhenBuffered);
      };
      resetWhenBuffered();
    };
    for (let i = 0; i < 50; i++) svc.publish(topic, `m${i}`, { qos: 1 });

    const all = Array.from({ length: 100 }, (_, i) => `m${i}`);
    await waitFor(() => got.size === all.length, `${all.length} messages (got ${got.size})`, 3000).catch(() => undefined);
    expect([...got].sort()).toEqual(all.sort());
    // still logged as a lost connection (info), once
    const lost = tb.logs.filter((l) => l.msg === 'client connection lost' && l.fields?.clientId === 'killed-publisher');
    expect(lost).toHaveLength(1);
    expect(tb.logs.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
  });

  it('keeps the QoS 1 messages in flight to a persistent session and sends them again on reconnect', async () => {
    tb = await startTestBroker();
    const topic = 'alicia/device/command';
    const op = await client(tb, 'operator', 'sender');
    const c = tb.credentials['device-manager'];
    const persistent = { ...c, clientId: 'killed-subscriber', clean: false, protocolVersion: 4 as const, reconnectPeriod: 0 };

    // a frozen subscriber: the broker writes to it, it reads nothing and so acknowledges nothing
    const before = mqtt.connect(tb.url, persistent);
    before.on('error', () => undefined);
    await new Promise((r) => before.once('connect', r));
    await before.subscribeAsync(topic, { qos: 1 });
    (before.stream as Socket).pause();
    const sentBefore = tb.broker.stats().messages_out;
    await Promise.all(Array.from({ length: 100 }, (_, i) => op.publishAsync(topic, `a${i}`, { qos: 1 })));
    await waitFor(() => tb!.broker.stats().messages_out - sentBefore >= 100, 'the broker to write 100 messages to the subscriber');
    (before.stream as Socket).resetAndDestroy();
    // and 100 more while it is gone
    await Promise.all(Array.from({ length: 100 }, (_, i) => op.publishAsync(topic, `b${i}`, { qos: 1 })));

    const after = mqtt.connect(tb.url, persistent);
    const got = new Set<string>();
    after.on('message', (_t, payload) => got.add(payload.toString()));
    const connack = await new Promise<{ sessionPresent: boolean }>((r) => after.once('connect', r));
    expect(connack.sessionPresent).toBe(true);
    await waitFor(() => got.size === 200, `200 messages (got ${got.size})`, 5000).catch(() => undefined);
    const want = [...Array.from({ length: 100 }, (_, i) => `a${i}`), ...Array.from({ length: 100 }, (_, i) => `b${i}`)];
    expect([...got].sort()).toEqual(want.sort());
  });
});
