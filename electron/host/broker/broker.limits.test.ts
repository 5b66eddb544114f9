import type { MqttClient } from 'mqtt';
import { connect as netConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, connectClient, waitFor } from './testing/mqttClient.js';
import { startTestBroker, type TestBroker } from './testing/testBroker.js';

const MAX_PAYLOAD = 1024;
let tb: TestBroker;
const open: MqttClient[] = [];
async function as(principal: keyof TestBroker['credentials'], extra = {}): Promise<MqttClient> {
  const client = await connectClient(tb.url, { ...tb.credentials[principal], ...extra });
  open.push(client);
  return client;
}

beforeAll(async () => {
  tb = await startTestBroker({ maxPayloadBytes: MAX_PAYLOAD, maxClients: 6, maxSubscriptionsPerClient: 3 });
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.endAsync(true).catch(() => undefined)));
  await tb.stop();
});

describe('broker limits', () => {
  it('a packet far over the payload limit disconnects only that client, before it is buffered', async () => {
    const bystander = await as('operator');
    const seen = collect(bystander);
    await bystander.subscribeAsync('alicia/broadcast/+', { qos: 1 });
    const big = await as('operator');
    const closed = new Promise<void>((r) => big.once('close', () => r()));
    big.publish('alicia/broadcast/big', Buffer.alloc(64 * 1024, 0x61), { qos: 0 });
    await closed;
    expect(tb.logs.some((l) => l.msg === 'client disconnected: packet over the size limit')).toBe(true);
    expect(tb.broker.stats().oversize_disconnects).toBe(1);
    // the others are unaffected
    await bystander.publishAsync('alicia/broadcast/small', '{"ok":true}', { qos: 1 });
    await waitFor(() => seen.length === 1, 'the small message');
    expect(seen.map((m) => m.topic)).toEqual(['alicia/broadcast/small']);
  });

  it('a payload just over the limit (within packet headroom) is dropped, the client stays', async () => {
    const op = await as('operator');
    const seen = collect(op);
    await op.subscribeAsync('alicia/broadcast/+', { qos: 1 });
    await op.publishAsync('alicia/broadcast/edge', Buffer.alloc(MAX_PAYLOAD + 1, 0x61), { qos: 1 });
    await op.publishAsync('alicia/broadcast/fits', Buffer.alloc(MAX_PAYLOAD, 0x61), { qos: 1 });
    // the payload that fits, published after the one that does not, is the sentinel
    await waitFor(() => seen.some((m) => m.topic === 'alicia/broadcast/fits'), 'the payload that fits');
    expect(seen.map((m) => m.topic)).toEqual(['alicia/broadcast/fits']);
    expect(op.connected).toBe(true);
  });

  it('a topic deeper than 16 levels is dropped and the client stays connected', async () => {
    const op = await as('operator');
    const seen = collect(op);
    await op.subscribeAsync('#', { qos: 1 });
    const deep = Array.from({ length: 17 }, (_, i) => `l${i}`).join('/');
    await op.publishAsync(deep, 'x', { qos: 1 });
    await op.publishAsync('ok/topic', 'y', { qos: 1 });
    // ok/topic, published after the deep one, is the sentinel
    await waitFor(() => seen.some((m) => m.topic === 'ok/topic'), 'ok/topic');
    expect(seen.map((m) => m.topic)).toEqual(['ok/topic']);
    expect(op.connected).toBe(true);
    await op.endAsync();
  });

  it('subscriptions per client are capped (SUBACK 0x80 past the limit)', async () => {
    const w = await as('window');
    await w.subscribeAsync(['a/1', 'a/2', 'a/3']);
    await expect(w.subscribeAsync('a/4')).rejects.toMatchObject({ packet: { granted: [128] } });
    // re-subscribing an existing filter is not a new subscription
    await expect(w.subscribeAsync('a/2', { qos: 1 })).resolves.toBeDefined();
    expect(w.connected).toBe(true);
    await w.endAsync();
  });

  it('clients over the limit are refused at CONNECT with "server unavailable" (3)', async () => {
    for (const c of open.splice(0)) await c.endAsync(true).catch(() => undefined);
    await waitFor(() => tb.broker.aedes.connectedClients === 0, 'all clients gone');
    const six: MqttClient[] = [];
    for (let i = 0; i < 6; i++) six.push(await as('operator'));
    await expect(connectClient(tb.url, tb.credentials.operator)).rejects.toMatchObject({ code: 3 });
    expect(tb.logs.some((l) => l.fields?.reason === 'too many clients (limit 6)')).toBe(true);
    await six[0]!.endAsync();
    await waitFor(() => tb.broker.aedes.connectedClients === 5, 'one slot free');
    const seventh = await as('operator');
    expect(seventh.connected).toBe(true);
  });

  it('a socket that never sends CONNECT does not block others', async () => {
    const { port } = new URL(tb.url);
    const idle = netConnect(Number(port), '127.0.0.1');
    await new Promise<void>((r) => idle.once('connect', () => r()));
    idle.write(Buffer.from([0x10])); // half a CONNECT fixed header, then silence
    for (const c of open.splice(0)) await c.endAsync(true).catch(() => undefined);
    const op = await as('operator');
    expect(op.connected).toBe(true);
    idle.destroy();
  });
});
