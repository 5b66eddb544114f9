import { connect as netConnect, type Socket } from 'node:net';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connectClient, waitFor } from '../../../electron/host/broker/testing/mqttClient.js';
import { startTestBroker, type TestBroker } from '../../../electron/host/broker/testing/testBroker.js';
import { connect } from '../../../electron/host/broker/testing/rawMqtt.js';
import { mulberry32 } from '../reliability/fuzzCases.js';

/**
 * docs/reliability.md "Broker limits and protocol abuse": a client over the per-client message rate
 * is disconnected and logged while the others carry on; malformed packets, CONNECT floods and
 * slowloris-style half connections on TCP and WebSocket do not stall a normal client, whose round
 * trip (publish QoS 1 -> its own subscription) keeps working during the abuse.
 */

const RATE = { messagesPerSecond: 200, burst: 400 };
let tb: TestBroker;
let normal: MqttClient;
const opened: Socket[] = [];
const openedWs: WebSocket[] = [];

beforeAll(async () => {
  tb = await startTestBroker({ rateLimit: RATE, allowedOrigins: ['http://127.0.0.1:8470'] });
  normal = await connectClient(tb.url, { ...tb.credentials.operator, clientId: 'abuse-bystander' });
  await normal.subscribeAsync('alicia/broadcast/+', { qos: 1 });
});

afterAll(async () => {
  for (const s of opened) s.destroy();
  for (const w of openedWs) w.terminate();
  await normal?.endAsync(true).catch(() => undefined);
  await tb?.stop();
});

let rt = 0;
/** One round trip of the bystander: publish QoS 1 to a topic it subscribes to; ms until it is back. */
async function roundTrip(): Promise<number> {
  const marker = `rt-${rt++}`;
  const t0 = performance.now();
  const got = new Promise<void>((resolve) => {
    const on = (_t: string, p: Buffer) => {
      if (p.toString() === marker) {
        normal.off('message', on);
        resolve();
      }
    };
    normal.on('message', on);
  });
  await normal.publishAsync('alicia/broadcast/rt', marker, { qos: 1 });
  await Promise.race([got, new Promise((_, rej) => setTimeout(() => rej(new Error(`round trip ${marker} stalled`)), 10_000))]);
  return performance.now() - t0;
}

function rawTcp(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const u = new URL(tb.url);
    const s = netConnect({ host: u.hostname, port: Number(u.port) }, () => resolve(s));
    s.on('error', () => undefined); // resets by the broker are expected
    s.once('error', reject);
    opened.push(s);
  });
}

function closed(s: Socket): Promise<void> {
  return s.destroyed || s.closed ? Promise.resolve() : new Promise((r) => s.once('close', () => r()));
}

/** An MQTT 3.1.1 CONNECT packet (§3.1) with a username/password. */
const connectPacket = (clientId: string, username: string, password: string): Buffer =>
  connect({ clientId, username, password, keepalive: 30 });

describe('broker: per-client rate limit', () => {
  it('disconnects and logs a client over its message rate; the others are unaffected', async () => {
    const flooder = await connectClient(tb.url, { ...tb.credentials.operator, clientId: 'abuse-flooder' });
    const closedP = new Promise<void>((r) => flooder.once('close', () => r()));
    // QoS 0 flood far beyond the 400 burst, as fast as the socket takes it
    for (let i = 0; i < 3000 && flooder.connected; i++) flooder.publish('alicia/broadcast/flood', 'x', { qos: 0 });
    await closedP;
    expect(
      tb.logs.some((l) => l.msg === 'client disconnected: message rate over the limit' && l.fields?.clientId === 'abuse-flooder'),
    ).toBe(true);
    expect(tb.broker.stats().rate_limited_disconnects).toBe(1);
    // the bystander keeps working, and was never cut off
    await roundTrip();
    expect(normal.connected).toBe(true);
    await flooder.endAsync(true).catch(() => undefined);
  });

  it('a client within its rate is never cut off', async () => {
    const steady = await connectClient(tb.url, { ...tb.credentials.window, clientId: 'abuse-steady' });
    // 300 messages in ~1 s (under 200/s + 400 burst)
    for (let i = 0; i < 30; i++) {
      for (let k = 0; k < 10; k++) steady.publish('alicia/broadcast/steady', 'y', { qos: 0 });
      await new Promise((r) => setTimeout(r, 30));
    }
    await steady.publishAsync('alicia/broadcast/steady', 'last', { qos: 1 });
    expect(steady.connected).toBe(true);
    await steady.endAsync();
  });
});

describe('broker: protocol abuse does not stall other clients', () => {
  it('TCP: malformed packets, a CONNECT flood and half connections; the bystander round trip keeps working', async () => {
    const rnd = mulberry32(7);
    const garbage = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256)));

    // slowloris: sockets that open and send nothing, or a CONNECT's first bytes only
    const half: Socket[] = [];
    for (let i = 0; i < 50; i++) {
      const s = await rawTcp();
      if (i % 2) s.write(connectPacket(`half-${i}`, 'operator', 'x').subarray(0, 5));
      half.push(s);
    }
    const before = await roundTrip();
    const step = (m: string) => process.env.ABUSE_DEBUG && process.stderr.write(`${new Date().toISOString()} ${m}\n`);
    step('before done');

    // malformed: random bytes, a reserved packet type (0xF0), a remaining length that never ends,
    // a PUBLISH before CONNECT, a CONNECT with a bogus protocol name
    const malformed: Buffer[] = [
      garbage(64),
      Buffer.from([0xf0, 0x00]),
      Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x01]),
      Buffer.from([0x30, 0x05, 0x00, 0x01, 0x61, 0x62, 0x63]),
      Buffer.concat([Buffer.from([0x10, 0x0c, 0x00, 0x04]), Buffer.from('XQTT'), Buffer.from([4, 2, 0, 30, 0, 0])]),
    ];
    for (let i = 0; i < 20; i++) malformed.push(garbage(1 + Math.floor(rnd() * 2048)));
    const malSockets = await Promise.all(
      malformed.map(async (b) => {
        const s = await rawTcp();
        s.write(b);
        return s;
      }),
    );

    // CONNECT flood: 200 CONNECTs with a wrong password, on 200 sockets at once
    let connacks = 0;
    const flood = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const s = await rawTcp();
        s.on('data', () => connacks++);
        s.write(connectPacket(`flood-${i}`, 'operator', 'wrong-password'));
        return s;
      }),
    );
    step('flood sent');
    const during: number[] = [];
    for (let i = 0; i < 5; i++) during.push(await roundTrip());
    step('during done');

    // the broker closed every malformed and refused connection by itself
    await Promise.all(malSockets.map(closed));
    step(`malformed closed; flood connacks ${connacks}, closed ${flood.filter((f) => f.closed).length}`);
    await Promise.all(flood.map(closed));
    step('flood closed');
    // slowloris: the half connections are closed by the broker's 10 s CONNECT timeout
    const tHalf = Date.now();
    await Promise.all(half.map(closed));
    const halfMs = Date.now() - tHalf;
    const after = await roundTrip();
    expect(normal.connected).toBe(true);
    process.stdout.write(
      `TCP abuse: bystander round trip ${before.toFixed(1)} ms before, ${during.map((d) => d.toFixed(1)).join('/')} ms during, ${after.toFixed(1)} ms after; ${malformed.length} malformed + ${flood.length} flood connections closed by the broker; ${half.length} half-open ones closed by the CONNECT timeout (last ${halfMs} ms after the flood ended)\n`,
    );
    expect(tb.broker.stats().refused_connections).toBeGreaterThanOrEqual(200);
  }, 60_000);

  it('WebSocket: a foreign Origin is refused, garbage frames and idle sockets do not stall anyone', async () => {
    // foreign Origin: HTTP 403 before any MQTT
    const status = await new Promise<number>((resolve) => {
      const w = new WebSocket(tb.wsUrl, 'mqtt', { headers: { Origin: 'http://evil.example' } });
      w.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      w.on('open', () => resolve(101));
      w.on('error', () => undefined);
    });
    expect(status).toBe(403);

    const open = (origin?: string) =>
      new Promise<WebSocket>((resolve, reject) => {
        const w = new WebSocket(tb.wsUrl, 'mqtt', origin ? { headers: { Origin: origin } } : {});
        w.on('open', () => resolve(w));
        w.on('error', reject);
        openedWs.push(w);
      });
    const rnd = mulberry32(11);
    const wsClosed = (w: WebSocket) =>
      w.readyState === WebSocket.CLOSED ? Promise.resolve() : new Promise<void>((r) => w.once('close', () => r()));
    const garbageWs: WebSocket[] = [];
    for (let i = 0; i < 30; i++) {
      const w = await open('http://127.0.0.1:8470');
      w.send(Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 1024) }, () => Math.floor(rnd() * 256))));
      garbageWs.push(w);
    }
    const idle: WebSocket[] = [];
    for (let i = 0; i < 30; i++) idle.push(await open());
    // a CONNECT flood over WebSocket with a wrong password
    const floodWs: WebSocket[] = [];
    for (let i = 0; i < 50; i++) {
      const w = await open();
      w.send(connectPacket(`wsflood-${i}`, 'window', 'nope'));
      floodWs.push(w);
    }
    const during = await roundTrip();
    // the window itself still connects over WebSocket and works
    const win = await connectClient(tb.wsUrl, { ...tb.credentials.window, clientId: 'abuse-window' });
    await win.subscribeAsync('alicia/broadcast/+', { qos: 1 });
    const seen: string[] = [];
    win.on('message', (_t, p) => seen.push(p.toString()));
    await roundTrip();
    await waitFor(() => seen.length >= 1, 'the window to see the round trip');
    await Promise.all([...garbageWs, ...floodWs].map(wsClosed));
    process.stdout.write(
      `WS abuse: bystander round trip ${during.toFixed(1)} ms during; ${garbageWs.length} garbage + ${floodWs.length} flood sockets closed by the broker, ${idle.length} idle\n`,
    );
    await win.endAsync();
    expect(normal.connected).toBe(true);
  }, 60_000);
});
