import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../services/lib/runtime/logger.js';
import { collect, connectClient, waitFor } from '../broker/testing/mqttClient.js';
import { startTestBroker, type TestBroker } from '../broker/testing/testBroker.js';
import { parseConfig } from '../config.js';
import { Bridge } from './bridge.js';
import { LoopGuard } from './loopGuard.js';
import { startUpstreamMosquitto, type UpstreamMosquitto } from '../../../e2e/support/upstreamMosquitto.js';

/**
 * One bridge between a real embedded broker (auth + ACL, the bridge as its own principal) and a
 * real Debian Mosquitto (password auth), with real mqtt.js clients on both sides.
 */

let local: TestBroker;
let upstream: UpstreamMosquitto;
const open: { end(): Promise<void> }[] = [];

beforeAll(async () => {
  local = await startTestBroker();
  upstream = await startUpstreamMosquitto();
}, 30_000);
afterAll(async () => {
  await upstream?.stop();
  await local?.stop();
});
afterEach(async () => {
  for (const o of open.splice(0)) await o.end();
});

const quiet = createLogger('bridge', { sink: () => undefined });

async function startBridge(bridge: Record<string, unknown>, guard?: LoopGuard): Promise<Bridge> {
  const [settings] = parseConfig(
    {
      broker: {
        bridges: [
          {
            name: 'home',
            url: upstream.url,
            username: upstream.bridgeUser.username,
            password: upstream.bridgeUser.password,
            reconnect: { initial_ms: 100, max_ms: 500 },
            ...bridge,
          },
        ],
      },
    },
    'config.json',
  ).broker.bridges;
  const b = new Bridge({
    settings: settings!,
    localUrl: local.url,
    localCredential: () => local.credentials.bridge,
    log: quiet,
    stateIntervalMs: 100,
    ...(guard ? { guard } : {}),
  });
  open.push({ end: () => b.stop() });
  await b.start();
  await waitFor(() => b.stats.state === 'connected', 'the bridge connected upstream', 10_000);
  return b;
}

async function upstreamClient(): Promise<MqttClient> {
  const c = await connectClient(upstream.url, { ...upstream.deviceUser });
  open.push({ end: () => c.endAsync(true) });
  return c;
}

async function operator(): Promise<MqttClient> {
  const c = await connectClient(local.url, { ...local.credentials.operator });
  open.push({ end: () => c.endAsync(true) });
  return c;
}

describe('bridge (embedded broker <-> Debian Mosquitto)', () => {
  it('adopts a discovery config: brings it and its state in, retained, and carries its command out', async () => {
    const device = await upstreamClient();
    const z2m = collect(device);
    await device.subscribeAsync('zigbee2mqtt/lamp/set', { qos: 1 });
    const b = await startBridge({});
    // the device announces itself after the bridge is up (the live path, not the retained one)
    await device.publishAsync('zigbee2mqtt/lamp', '{"state":"OFF"}', { qos: 1, retain: true });
    await device.publishAsync(
      'homeassistant/light/lamp/config',
      JSON.stringify({ name: 'lamp', schema: 'json', state_topic: 'zigbee2mqtt/lamp', command_topic: 'zigbee2mqtt/lamp/set' }),
      { qos: 1, retain: true },
    );
    await waitFor(() => b.stats.bridged_in >= 2, 'config and state bridged in', 10_000);
    // a late subscriber here reads both retained (the device manager starting after the bridge)
    const op = await operator();
    const seen = collect(op);
    await op.subscribeAsync(['homeassistant/#', 'zigbee2mqtt/#'], { qos: 1 });
    await waitFor(
      () =>
        seen.some((m) => m.topic === 'zigbee2mqtt/lamp' && m.retain) &&
        seen.some((m) => m.topic === 'homeassistant/light/lamp/config' && m.retain),
      'retained copies here',
      10_000,
    );
    // a command here goes out
    await op.publishAsync('zigbee2mqtt/lamp/set', '{"state":"ON"}', { qos: 1 });
    await waitFor(
      () => z2m.some((m) => m.topic === 'zigbee2mqtt/lamp/set' && m.payload === '{"state":"ON"}'),
      'the command upstream',
      10_000,
    );
    await waitFor(() => b.stats.bridged_out === 1, 'the command counted (its PUBACK)', 5000);

    // the device is removed: its command topic is no longer carried (sentinel: a later configured-out message arrives, the command does not)
    await device.publishAsync('homeassistant/light/lamp/config', '', { qos: 1, retain: true });
    await waitFor(() => seen.some((m) => m.topic === 'homeassistant/light/lamp/config' && m.payload === ''), 'the removal here', 10_000);
    await op.publishAsync('zigbee2mqtt/lamp/set', '{"state":"OFF"}', { qos: 1 });
    await op.publishAsync('zigbee2mqtt/lamp', '{"state":"sentinel"}', { qos: 1 });
    await device.publishAsync(
      'homeassistant/light/sentinel/config',
      JSON.stringify({ name: 's', state_topic: 'zigbee2mqtt/s', command_topic: 'zigbee2mqtt/lamp/set' }),
      { qos: 1 },
    );
    await waitFor(() => b.stats.bridged_in >= 4, 'the sentinel config bridged in', 10_000);
    await op.publishAsync('zigbee2mqtt/lamp/set', '{"state":"AFTER"}', { qos: 1 });
    await waitFor(() => z2m.some((m) => m.payload === '{"state":"AFTER"}'), 'the command after the sentinel config', 10_000);
    expect(z2m.filter((m) => m.topic === 'zigbee2mqtt/lamp/set').map((m) => m.payload)).toEqual(['{"state":"ON"}', '{"state":"AFTER"}']);
    // cleanup of the retained configs on the shared Mosquitto
    await device.publishAsync('homeassistant/light/sentinel/config', '', { qos: 1, retain: true });
    await device.publishAsync('zigbee2mqtt/lamp', '', { qos: 1, retain: true });
  }, 60_000);

  it('never carries a message back where it came from (a topic held in both directions)', async () => {
    const device = await upstreamClient();
    const up = collect(device);
    await device.subscribeAsync('loop/#', { qos: 1 });
    const b = await startBridge({
      home_assistant: { enabled: false },
      topics: { in: [{ filter: 'loop/#' }], out: [{ filter: 'loop/#' }] },
    });
    await device.publishAsync('loop/a', 'from upstream', { qos: 1 });
    await waitFor(() => b.stats.loops_dropped >= 1, 'the echo here dropped', 10_000);
    const op = await operator();
    await op.publishAsync('loop/b', 'from here', { qos: 1 });
    // sentinel: what the bridge carried out after the echo arrives upstream; nothing carried back before it
    await waitFor(() => up.some((m) => m.topic === 'loop/b'), 'loop/b upstream', 10_000);
    await waitFor(() => b.stats.loops_dropped >= 2, 'the echo upstream dropped', 10_000);
    expect(up.filter((m) => m.topic === 'loop/a')).toHaveLength(1);
    await waitFor(() => b.stats.bridged_in === 1 && b.stats.bridged_out === 1, 'both carried messages counted', 5000);
    expect(b.stats.loops_dropped).toBe(2);
  }, 30_000);

  it('without the loop guard the same setup loops (what the guard prevents)', async () => {
    class NoGuard extends LoopGuard {
      override isEcho(): boolean {
        return false;
      }
    }
    const device = await upstreamClient();
    const up = collect(device);
    await device.subscribeAsync('loop2/#', { qos: 1 });
    const b = await startBridge(
      { home_assistant: { enabled: false }, topics: { in: [{ filter: 'loop2/#' }], out: [{ filter: 'loop2/#' }] } },
      new NoGuard(),
    );
    await device.publishAsync('loop2/a', 'ping', { qos: 1 });
    await waitFor(() => up.filter((m) => m.topic === 'loop2/a').length >= 20, 'the message ping-ponging', 20_000);
    await b.stop();
  }, 30_000);

  it('reconnects with backoff when the upstream broker restarts, and counts it', async () => {
    const device0 = await upstreamClient();
    void device0;
    const b = await startBridge({ home_assistant: { enabled: false }, topics: { in: [{ filter: 'r/#' }], out: [{ filter: 'r/#' }] } });
    const op = await operator();
    const states = collect(op);
    await op.subscribeAsync('alicia/system/bridge/+', { qos: 1 });
    const oldPid = upstream.pid();
    await upstream.kill();
    await waitFor(() => b.stats.state === 'reconnecting', 'reconnecting', 10_000);
    // a command while upstream is down is dropped and counted, never delivered late
    await op.publishAsync('r/x', 'while down', { qos: 1 });
    await waitFor(() => b.stats.failed >= 1, 'failed counted', 10_000);
    await upstream.start();
    expect(upstream.pid()).not.toBe(oldPid);
    await waitFor(() => b.stats.state === 'connected', 'connected again', 20_000);
    expect(b.stats.reconnects).toBe(1);
    // subscriptions are back: a message upstream comes in again
    const device = await upstreamClient();
    await device.publishAsync('r/y', 'after restart', { qos: 1 });
    await waitFor(() => b.stats.bridged_in >= 1, 'carried in after the restart', 10_000);
    // the bus says so (retained state with counters)
    await waitFor(
      () => {
        const last = states.filter((m) => m.topic === 'alicia/system/bridge/home').at(-1);
        if (!last) return false;
        const s = JSON.parse(last.payload) as { state: string; counters: { reconnects: number; bridged_in: number } };
        return s.state === 'connected' && s.counters.reconnects === 1 && s.counters.bridged_in >= 1;
      },
      'the state on alicia/system/bridge/home',
      10_000,
    );
    expect(states.some((m) => JSON.parse(m.payload).state === 'reconnecting')).toBe(true);
  }, 60_000);
});

describe('bridge credential and lifecycle', () => {
  it('reads the password from password_file; an unreadable file fails start with CONFIG_INVALID naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'alicia-bridge-pw-'));
    try {
      const file = join(dir, 'pw');
      await writeFile(file, `${upstream.bridgeUser.password}\n`, { mode: 0o600 });
      const b = await startBridge({ password: undefined, password_file: file });
      expect(b.stats.state).toBe('connected');
      await expect(startBridge({ name: 'other', password: undefined, password_file: join(dir, 'missing') })).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining(`cannot read password_file ${join(dir, 'missing')}: ENOENT`) as unknown,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('a refused credential is the bridge state, retried with backoff, never a crash; stop twice is fine', async () => {
    const op = await operator();
    const states = collect(op);
    await op.subscribeAsync('alicia/system/bridge/wrong', { qos: 1 });
    const [settings] = parseConfig(
      {
        broker: {
          bridges: [
            { name: 'wrong', url: upstream.url, username: 'alicia', password: 'not-it', reconnect: { initial_ms: 50, max_ms: 200 } },
          ],
        },
      },
      'config.json',
    ).broker.bridges;
    const b = new Bridge({ settings: settings!, localUrl: local.url, localCredential: () => local.credentials.bridge, log: quiet });
    await b.start();
    const last = () => {
      const m = states.at(-1);
      return m && m.payload ? (JSON.parse(m.payload) as { state: string; last_error?: string; retry_in_ms?: number }) : undefined;
    };
    await waitFor(() => /Not authorized/i.test(last()?.last_error ?? ''), 'the refusal in the state', 10_000);
    expect(last()).toMatchObject({ state: 'connecting' });
    expect(last()!.retry_in_ms).toBeLessThanOrEqual(240); // max_ms + jitter
    await b.stop();
    await b.stop();
    await waitFor(() => last()?.state === 'stopped', 'stopped on the bus', 5000);
  }, 30_000);
});
