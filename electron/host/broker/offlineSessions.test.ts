import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../../services/lib/protocol/services.js';
import { OfflineSessions } from './offlineSessions.js';
import { startTestBroker, type TestBroker, type TestBrokerOptions } from './testing/testBroker.js';
import { connectClient, waitFor } from './testing/mqttClient.js';

/**
 * A service's persistent session (clean:false, as BusService connects) must not hold messages for
 * ever once the service is gone (stopped by the user, or `failed`): before this, every QoS 1 message
 * matching a stopped service's subscriptions stayed in the broker's memory until the host exited.
 */

const open: MqttClient[] = [];

interface Persistent {
  client: MqttClient;
  sessionPresent: boolean;
  /** payloads received, from the first packet on (a queued backlog arrives with the CONNACK) */
  received: { topic: string; payload: string }[];
}

async function persistent(tb: TestBroker, principal: Principal, clientId: string): Promise<Persistent> {
  const c = tb.credentials[principal];
  const opts: IClientOptions = {
    username: c.username,
    password: c.password,
    clientId,
    clean: false,
    protocolVersion: 4,
    reconnectPeriod: 0,
  };
  const client = mqtt.connect(tb.url, opts);
  open.push(client);
  const received: Persistent['received'] = [];
  client.on('message', (topic, payload) => received.push({ topic, payload: payload.toString() }));
  const sessionPresent = await new Promise<boolean>((resolve, reject) => {
    client.once('connect', (connack) => resolve(connack.sessionPresent));
    client.once('error', reject);
  });
  return { client, sessionPresent, received };
}

async function as(tb: TestBroker, principal: Principal): Promise<MqttClient> {
  const c = tb.credentials[principal];
  const client = await connectClient(tb.url, { username: c.username, password: c.password });
  open.push(client);
  return client;
}

/**
 * Messages on `topic` that reached `p` before a marker `publisher` sends there now. A queued backlog
 * is written right after the CONNACK, ahead of anything published later.
 */
async function deliveredBeforeMarker(p: Persistent, topic: string, publisher: MqttClient): Promise<number> {
  await publisher.publishAsync(topic, '"marker"', { qos: 1 });
  await waitFor(() => p.received.some((m) => m.topic === topic && m.payload === '"marker"'), 'the marker message');
  const upTo = p.received.findIndex((m) => m.topic === topic && m.payload === '"marker"');
  return p.received.slice(0, upTo).filter((m) => m.topic === topic).length;
}

/** Wait until the broker has seen the client go (endAsync resolves before the broker reads the DISCONNECT). */
async function offline(tb: TestBroker, clientId: string): Promise<void> {
  await waitFor(() => tb.broker.principalOf(clientId) === null, `${clientId} to be offline`);
}

/** Close every client a test opened and wait until the broker has seen them all go. */
async function closeAll(tb: TestBroker): Promise<void> {
  await Promise.all(open.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  await waitFor(() => tb.broker.aedes.connectedClients === 0, 'every test client to be gone');
}

/** A test broker for the describe block this is called in; every test's clients are closed after it. */
function brokerPerBlock(opts: TestBrokerOptions = {}): () => TestBroker {
  let tb: TestBroker | undefined;
  beforeAll(async () => {
    tb = await startTestBroker(opts);
  });
  afterEach(() => closeAll(tb!));
  afterAll(() => tb?.stop());
  return () => tb!;
}

describe('offline persistent sessions', () => {
  const broker = brokerPerBlock({ offlineSessionExpiryMs: 500 });

  it('end after the expiry: what was queued is dropped and nothing more is queued', async () => {
    const tb = broker();
    const ai = await persistent(tb, 'ai', 'alicia-ai');
    await ai.client.subscribeAsync('alicia/ai/request', { qos: 1 });
    const router = await as(tb, 'voice-router');
    await ai.client.endAsync(); // the service stops (user stop, or supervisor gave up)
    await offline(tb, 'alicia-ai');
    await Promise.all(Array.from({ length: 50 }, (_, i) => router.publishAsync('alicia/ai/request', `{"n":${i}}`, { qos: 1 })));

    await waitFor(() => tb.logs.some((l) => l.msg === 'offline session expired' && l.fields?.clientId === 'alicia-ai'), 'the expiry');
    // what it held is dropped (all 50 unless the machine is so slow the expiry came first)
    expect(tb.logs.find((l) => l.msg === 'offline session expired' && l.fields?.clientId === 'alicia-ai')?.fields?.queued).toBeGreaterThan(
      0,
    );
    // after the expiry the broker holds no subscription for it: these are not kept either
    for (let i = 0; i < 50; i++) await router.publishAsync('alicia/ai/request', `{"late":${i}}`, { qos: 1 });

    const back = await persistent(tb, 'ai', 'alicia-ai');
    expect(back.sessionPresent).toBe(false);
    await back.client.subscribeAsync('alicia/ai/request', { qos: 1 }); // as a starting service does
    expect(await deliveredBeforeMarker(back, 'alicia/ai/request', router)).toBe(0);
  });
});

describe('a supervised restart (offline shorter than the expiry)', () => {
  const broker = brokerPerBlock(); // the default expiry (5 min)

  it('still gets the QoS 1 requests sent while it was down', async () => {
    const tb = broker();
    const dm = await persistent(tb, 'device-manager', 'alicia-device-manager');
    await dm.client.subscribeAsync('alicia/device/command', { qos: 1 });
    const op = await as(tb, 'operator');
    await dm.client.endAsync();
    await offline(tb, 'alicia-device-manager');
    for (let i = 0; i < 5; i++) await op.publishAsync('alicia/device/command', `{"n":${i}}`, { qos: 1 });

    const back = await persistent(tb, 'device-manager', 'alicia-device-manager');
    expect(back.sessionPresent).toBe(true);
    await waitFor(() => back.received.length >= 5, 'the 5 queued commands');
    expect(back.received.map((m) => m.payload).sort()).toEqual([0, 1, 2, 3, 4].map((i) => `{"n":${i}}`));
    expect(tb.logs.some((l) => l.msg === 'offline session expired')).toBe(false);
  });

  it('leave no timer behind for clients that come back, or that never had a persistent session', async () => {
    const tb = broker();
    // a second watcher with an expiry that never fires in this test, to look at its bookkeeping
    const sessions = new OfflineSessions(tb.broker.aedes, { expiryMs: 3_600_000 });
    sessions.start();
    try {
      for (let i = 0; i < 20; i++) {
        const s = await persistent(tb, 'stt', `alicia-stt-${i}`);
        await s.client.subscribeAsync('alicia/voice/stt/request', { qos: 1 });
        await s.client.endAsync();
        const clean = await as(tb, 'tts');
        await clean.endAsync();
      }
      // only the persistent ones wait for their expiry (the broker sees the last disconnect a moment later)
      await waitFor(() => sessions.pending >= 20, '20 offline sessions');
      expect(sessions.pending).toBe(20);
      for (let i = 0; i < 20; i++) {
        const s = await persistent(tb, 'stt', `alicia-stt-${i}`);
        expect(s.sessionPresent).toBe(true);
        await s.client.endAsync(); // offline again: its timer restarts, it is not counted twice
      }
      await waitFor(() => sessions.pending >= 20, '20 offline sessions again');
      expect(sessions.pending).toBe(20);
      for (let i = 0; i < 20; i++) {
        const s = await persistent(tb, 'stt', `alicia-stt-${i}`);
        expect(s.sessionPresent).toBe(true); // stays connected: no timer while online
      }
      expect(sessions.pending).toBe(0);
    } finally {
      sessions.stop();
    }
  });
});
