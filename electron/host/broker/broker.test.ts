import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, serviceEnv, type TestBroker } from './testing/testBroker.js';
import { collect, connectClient, roundTrip, waitFor } from './testing/mqttClient.js';
import { SERVICE_NAMES } from '../../../services/lib/protocol/services.js';

let tb: TestBroker;
const open: MqttClient[] = [];
async function as(principal: keyof TestBroker['credentials'], url = tb.url, extra = {}): Promise<MqttClient> {
  const c = tb.credentials[principal];
  const client = await connectClient(url, { username: c.username, password: c.password, ...extra });
  open.push(client);
  return client;
}

beforeAll(async () => {
  tb = await startTestBroker();
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.endAsync(true).catch(() => undefined)));
  await tb.stop();
});

describe('authentication', () => {
  it('refuses an anonymous connection with CONNACK 4', async () => {
    await expect(connectClient(tb.url)).rejects.toMatchObject({ code: 4 });
    expect(tb.logs.some((l) => l.msg === 'connection refused' && l.fields?.reason === 'anonymous connection')).toBe(true);
  });

  it('refuses a wrong password and an unknown user, without logging the password', async () => {
    await expect(connectClient(tb.url, { username: 'operator', password: 'not-the-password-at-all' })).rejects.toMatchObject({ code: 4 });
    await expect(connectClient(tb.url, { username: 'mallory', password: tb.credentials.operator.password })).rejects.toMatchObject({
      code: 4,
    });
    const all = JSON.stringify(tb.logs);
    expect(all).not.toContain('not-the-password-at-all');
    expect(all).not.toContain(tb.credentials.operator.password);
  });

  it('accepts every principal with its own credential', async () => {
    for (const p of [...SERVICE_NAMES, 'operator', 'window'] as const) {
      const client = await as(p);
      expect(client.connected).toBe(true);
      await client.endAsync();
    }
  });

  it('serviceEnv gives the env a service process needs', () => {
    const env = serviceEnv(tb, 'stt');
    expect(env).toEqual({ ALICIA_MQTT_URL: tb.url, ALICIA_MQTT_USERNAME: 'stt', ALICIA_MQTT_PASSWORD: tb.credentials.stt.password });
  });
});

describe('publish ACL', () => {
  it('drops a service publish outside its ACL, keeps the client connected, stores no retained copy', async () => {
    const watcher = await as('operator');
    const seen = collect(watcher);
    await watcher.subscribeAsync('alicia/#', { qos: 1 });
    const stt = await as('stt');
    const before = tb.broker.stats().denied_publish;

    // stt may not answer for the ai service nor set device state (retained)
    await stt.publishAsync('alicia/ai/response', '{"forged":true}', { qos: 1 });
    await stt.publishAsync('alicia/device/status/kitchen_light', '{"forged":true}', { qos: 1, retain: true });
    // ... but its own result goes through on the same connection
    await stt.publishAsync('alicia/voice/stt/result', '{"ok":true}', { qos: 1 });

    // the allowed message is the sentinel: published after the denied ones on the same connection,
    // it arrives after anything they would have delivered
    await waitFor(() => seen.some((m) => m.topic === 'alicia/voice/stt/result'), 'the allowed message');
    expect(seen.map((m) => m.topic)).toEqual(['alicia/voice/stt/result']);
    expect(stt.connected).toBe(true);
    expect(tb.broker.stats().denied_publish).toBe(before + 2);
    expect(tb.logs.filter((l) => l.msg === 'publish denied (dropped)' && l.fields?.principal === 'stt').length).toBeGreaterThanOrEqual(2);

    // a later subscriber gets no retained forgery. Sentinel: a retained message stored after the
    // forgery would have been; a new subscription gets the retained messages in the order they
    // were first stored, so once the sentinel is in, a stored forgery would be too
    const sentinel = 'alicia/device/status/sentinel';
    await tb.broker.publish(sentinel, '{"on":false}', { qos: 1, retain: true });
    const late = await as('operator');
    const lateSeen = collect(late);
    await late.subscribeAsync('alicia/device/status/+', { qos: 1 });
    await waitFor(() => lateSeen.some((m) => m.topic === sentinel), 'the retained sentinel');
    expect(lateSeen.filter((m) => m.topic !== sentinel)).toEqual([]);
    await tb.broker.publish(sentinel, '', { qos: 1, retain: true });
  });

  it('nobody but the broker publishes $SYS, not even the operator or window', async () => {
    const sys = await as('window');
    const seen = collect(sys);
    await sys.subscribeAsync('$SYS/alicia/#');
    const op = await as('operator');
    await op.publishAsync('$SYS/alicia/broker/stats', '{"clients":999}', { qos: 1 });
    await sys.publishAsync('$SYS/alicia/broker/stats', '{"clients":999}', { qos: 1 });
    // sentinel: the broker itself publishes on the same path afterwards
    const sentinel = '$SYS/alicia/test/sentinel';
    await tb.broker.publish(sentinel, '{}', { qos: 0 });
    await waitFor(() => seen.some((m) => m.topic === sentinel), 'the sentinel');
    expect(seen.filter((m) => m.topic !== sentinel)).toEqual([]);
    expect(op.connected && sys.connected).toBe(true);
  });

  it('operator can publish and subscribe anywhere (alicia, external, retained)', async () => {
    const op = await as('operator');
    const seen = collect(op);
    await op.subscribeAsync('#', { qos: 1 });
    await op.publishAsync('alicia/device/command', '{"a":1}', { qos: 1 });
    await op.publishAsync('zigbee2mqtt/lamp/set', 'ON', { qos: 0 });
    await op.publishAsync('alicia/device/status/op_test', '{"on":true}', { qos: 1, retain: true });
    await waitFor(() => seen.length >= 3, 'three messages');
    expect(seen.map((m) => m.topic).sort()).toEqual(['alicia/device/command', 'alicia/device/status/op_test', 'zigbee2mqtt/lamp/set']);
    // clear the retained topic again (empty retained payload) as the window's form does
    await op.publishAsync('alicia/device/status/op_test', '', { qos: 1, retain: true });
  });
});

describe('subscribe ACL', () => {
  it('refuses a service subscription outside its ACL with SUBACK 0x80 and keeps the client', async () => {
    const tts = await as('tts');
    const before = tb.broker.stats().denied_subscribe;
    // mqtt.js v5 rejects subscribeAsync when any grant has bit 0x80 set (handlers/ack.js); the
    // error carries the SUBACK packet
    await expect(tts.subscribeAsync(['alicia/voice/tts/request', 'alicia/#', 'alicia/ai/request'])).rejects.toMatchObject({
      packet: { cmd: 'suback', granted: [0, 128, 128] },
    });
    // the allowed filter of the same SUBSCRIBE is in force, the refused ones are not
    const seen = collect(tts);
    const op = await as('operator');
    await op.publishAsync('alicia/ai/request', '{}', { qos: 1 });
    await op.publishAsync('alicia/voice/tts/request', '{}', { qos: 1 });
    // the tts request, published after the ai request by the same client, is the sentinel
    await waitFor(() => seen.some((m) => m.topic === 'alicia/voice/tts/request'), 'the tts request');
    expect(seen.map((m) => m.topic)).toEqual(['alicia/voice/tts/request']);
    expect(tb.broker.stats().denied_subscribe).toBe(before + 2);
    expect(tts.connected).toBe(true);
  });

  it('allows a service filter fully inside a pattern, refuses wider ones', async () => {
    const stt = await as('stt');
    const g = await stt.subscribeAsync(['alicia/device/status/+', 'alicia/device/status/kitchen_light']);
    expect(g.map((x) => x.qos)).toEqual([0, 0]);
  });
});

describe('in-process bus', () => {
  it('onPublish sees accepted messages with principal and client id, not denied ones or Aedes internals', async () => {
    const got: { topic: string; principal: string | null; clientId: string | null }[] = [];
    const off = tb.broker.onPublish((p) => got.push({ topic: p.topic, principal: p.principal, clientId: p.clientId }));
    try {
      const ai = await as('ai', tb.url, { clientId: 'ai-inproc-test' });
      await ai.publishAsync('alicia/ai/response', '{"ok":true}', { qos: 1 });
      await ai.publishAsync('alicia/voice/tts/request', '{}', { qos: 1 }); // denied for ai
      await tb.broker.publish('alicia/system/services/stt', '{"state":"running"}', { qos: 1, retain: true });
      // the in-process publish, after both of ai's were acknowledged, is the sentinel
      await waitFor(() => got.some((g) => g.topic === 'alicia/system/services/stt'), 'the in-process publish');
      expect(got).toEqual([
        { topic: 'alicia/ai/response', principal: 'ai', clientId: 'ai-inproc-test' },
        { topic: 'alicia/system/services/stt', principal: null, clientId: null },
      ]);
      expect(got.some((g) => g.topic.startsWith(`$SYS/${tb.broker.aedes.id}`))).toBe(false);
    } finally {
      off();
    }
  });

  it('subscribe() delivers network messages in-process and publish() reaches network clients', async () => {
    const inbox: { topic: string; principal: string | null; payload: string }[] = [];
    const unsub = await tb.broker.subscribe('alicia/system/discovery/+', (p) =>
      inbox.push({ topic: p.topic, principal: p.principal, payload: p.payload.toString() }),
    );
    const disc = await as('discovery');
    const seen = collect(disc);
    await disc.subscribeAsync('alicia/health/heartbeat/+', { qos: 1 });
    await disc.publishAsync('alicia/system/discovery/update', '{"event":"snapshot","services":[]}', { qos: 1 });
    await tb.broker.publish('alicia/health/heartbeat/stt', '{"seq":1}', { qos: 1 });
    await waitFor(() => inbox.length === 1 && seen.length === 1, 'both deliveries');
    expect(inbox[0]).toEqual({
      topic: 'alicia/system/discovery/update',
      principal: 'discovery',
      payload: '{"event":"snapshot","services":[]}',
    });
    expect(seen[0]?.topic).toBe('alicia/health/heartbeat/stt');
    // sentinel: a second in-process subscription on the same filter, still in force; the broker
    // hands a message to all its matching subscriptions at once
    const sentinelInbox: string[] = [];
    const unsubSentinel = await tb.broker.subscribe('alicia/system/discovery/+', (p) => sentinelInbox.push(p.payload.toString()));
    await unsub();
    await disc.publishAsync('alicia/system/discovery/update', '{}', { qos: 1 });
    await waitFor(() => sentinelInbox.includes('{}'), 'the sentinel subscription');
    expect(inbox.length).toBe(1);
    await unsubSentinel();
  });
});

describe('credential rotation', () => {
  it('after rotate + disconnectPrincipal the old password is refused and the new one works', async () => {
    const old = tb.credentials.tts;
    const client = await as('tts');
    const closed = new Promise<void>((r) => client.once('close', () => r()));
    const fresh = await tb.broker.credentials.rotate('tts');
    expect(tb.broker.disconnectPrincipal('tts')).toBeGreaterThanOrEqual(1);
    await closed;
    await expect(connectClient(tb.url, { username: 'tts', password: old.password })).rejects.toMatchObject({ code: 4 });
    const again = await connectClient(tb.url, { username: 'tts', password: fresh.tts!.password });
    open.push(again);
    expect(again.connected).toBe(true);
    tb.credentials.tts = fresh.tts!;
  });
});

describe('client id takeover', () => {
  it('one principal cannot take over another principal’s client id; the same principal can', async () => {
    const ai = await as('ai', tb.url, { clientId: 'svc-ai' });
    await expect(connectClient(tb.url, { ...tb.credentials.stt, clientId: 'svc-ai' })).rejects.toMatchObject({ code: 2 });
    // a takeover would have closed ai before the refused CONNECT was answered: a round trip on
    // ai's connection after that answer proves it is still open
    await roundTrip(ai, 'alicia/ai/response');
    expect(ai.connected).toBe(true);
    const closed = new Promise<void>((r) => ai.once('close', () => r()));
    const ai2 = await as('ai', tb.url, { clientId: 'svc-ai' });
    await closed; // [MQTT-3.1.4-2]: the older session is closed
    expect(ai2.connected).toBe(true);
  });
});
