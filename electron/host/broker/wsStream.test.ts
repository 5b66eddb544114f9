import type { MqttClient } from 'mqtt';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, waitFor } from './testing/mqttClient.js';
import { connect, subscribe } from './testing/rawMqtt.js';
import { startTestBroker, type TestBroker } from './testing/testBroker.js';

/**
 * The broker's WebSocket transport (wsStream.ts) seen from a raw WebSocket client that speaks
 * MQTT 3.1.1 by hand, so frames and packets can be counted separately: what a browser pays per
 * frame is what these tests measure.
 */

let tb: TestBroker;
const open: MqttClient[] = [];
beforeAll(async () => {
  tb = await startTestBroker({ statsIntervalMs: 0 });
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.endAsync(true).catch(() => undefined)));
  await tb.stop();
});

interface RawClient {
  ws: WebSocket;
  frames: number;
  /** complete MQTT packets parsed from the byte stream: type and body */
  packets: { type: number; body: Buffer }[];
}

/** A WebSocket MQTT client that parses the byte stream itself, whatever the frame boundaries. */
async function rawClient(principal: keyof TestBroker['credentials'], filter: string): Promise<RawClient> {
  const ws = new WebSocket(tb.wsUrl, 'mqtt');
  const c: RawClient = { ws, frames: 0, packets: [] };
  let buf = Buffer.alloc(0);
  ws.on('message', (data: Buffer) => {
    c.frames++;
    buf = Buffer.concat([buf, data]);
    for (;;) {
      if (buf.length < 2) return;
      let len = 0;
      let mul = 1;
      let i = 1;
      for (;;) {
        if (i >= buf.length) return; // length not complete yet
        const b = buf[i] as number;
        len += (b & 0x7f) * mul;
        mul *= 128;
        i++;
        if ((b & 0x80) === 0) break;
      }
      if (buf.length < i + len) return; // body not complete yet
      c.packets.push({ type: (buf[0] as number) >> 4, body: buf.subarray(i, i + len) });
      buf = buf.subarray(i + len);
    }
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const { username, password } = tb.credentials[principal];
  ws.send(connect({ clientId: `raw-${Math.random().toString(16).slice(2, 10)}`, username, password, keepalive: 60 }));
  await waitFor(() => c.packets.some((p) => p.type === 2), 'CONNACK');
  expect(c.packets.find((p) => p.type === 2)?.body[1]).toBe(0); // return code 0: accepted
  ws.send(subscribe(1, [{ topic: filter, qos: 0 }]));
  await waitFor(() => c.packets.some((p) => p.type === 9), 'SUBACK');
  return c;
}

function publishTopic(body: Buffer): string {
  return body.subarray(2, 2 + body.readUInt16BE(0)).toString('utf8');
}

describe('WebSocket transport', () => {
  it('a burst of PUBLISHes reaches a WebSocket subscriber complete and in order, in fewer frames than messages', async () => {
    const sub = await rawClient('window', 'alicia/broadcast/#');
    const pub = await connectClient(tb.url, tb.credentials.operator);
    open.push(pub);
    const framesBefore = sub.frames;
    const N = 500;
    for (let i = 0; i < N; i++) pub.publish(`alicia/broadcast/b${i}`, JSON.stringify({ i }), { qos: 0 });
    const publishes = () => sub.packets.filter((p) => p.type === 3);
    await waitFor(() => publishes().length === N, `${N} PUBLISHes over WebSocket`, 10_000);
    expect(publishes().map((p) => publishTopic(p.body))).toEqual(Array.from({ length: N }, (_, i) => `alicia/broadcast/b${i}`));
    // ws's createWebSocketStream sent one frame per mqtt-packet write (~4-5 per PUBLISH); the
    // coalescing stream sends at most one frame per event-loop turn.
    expect(sub.frames - framesBefore).toBeLessThan(N);
    sub.ws.close();
  });

  it('a payload larger than one frame arrives intact', async () => {
    const sub = await rawClient('window', 'alicia/broadcast/#');
    const pub = await connectClient(tb.url, tb.credentials.operator);
    open.push(pub);
    const payload = Buffer.alloc(3 * 1024 * 1024 + 17, 0);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
    await pub.publishAsync('alicia/broadcast/big', payload, { qos: 0 });
    await waitFor(() => sub.packets.some((p) => p.type === 3), 'the big PUBLISH', 10_000);
    const body = (sub.packets.find((p) => p.type === 3) as { body: Buffer }).body;
    expect(publishTopic(body)).toBe('alicia/broadcast/big');
    expect(body.subarray(2 + 'alicia/broadcast/big'.length).equals(payload)).toBe(true);
    sub.ws.close();
  });

  it('a subscriber that stops reading gets backpressure, then every message once it reads again', async () => {
    const sub = await rawClient('window', 'alicia/broadcast/#');
    const pub = await connectClient(tb.url, tb.credentials.operator);
    open.push(pub);
    // stop reading: the kernel buffers fill, then ws.bufferedAmount grows past the stream's mark
    const socket = (sub.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    const N = 4000; // under the broker's per-client burst (rateLimit.ts)
    const body = 'x'.repeat(2048);
    for (let i = 0; i < N; i++) pub.publish(`alicia/broadcast/p${i}`, `${i} ${body}`, { qos: 0 });
    await new Promise((r) => setTimeout(r, 1500));
    const during = sub.packets.filter((p) => p.type === 3).length;
    socket.resume();
    const publishes = () => sub.packets.filter((p) => p.type === 3);
    await waitFor(() => publishes().length === N, `${N} PUBLISHes after resuming`, 20_000);
    expect(during).toBeLessThan(N);
    expect(publishes().map((p) => publishTopic(p.body))).toEqual(Array.from({ length: N }, (_, i) => `alicia/broadcast/p${i}`));
    sub.ws.close();
  });

  it('a refused CONNECT still gets its CONNACK before the connection closes', async () => {
    const ws = new WebSocket(tb.wsUrl, 'mqtt');
    const got: Buffer[] = [];
    ws.on('message', (d: Buffer) => got.push(d));
    const closed = new Promise<void>((r) => ws.once('close', () => r()));
    await new Promise<void>((r) => ws.once('open', () => r()));
    ws.send(connect({ clientId: 'raw-bad', username: 'window', password: 'not-the-password', keepalive: 60 }));
    await closed;
    const bytes = Buffer.concat(got);
    expect([...bytes.subarray(0, 4)]).toEqual([0x20, 2, 0, 4]); // CONNACK, rc 4: bad user name or password
  });
});
