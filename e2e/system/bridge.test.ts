import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient } from '../../electron/host/broker/testing/mqttClient.js';
import { startUpstreamMosquitto, type UpstreamMosquitto } from '../support/upstreamMosquitto.js';
import { adoptedId, commandTopic, echoDevice, haFixture, stateTopic, type EchoingDevice } from '../support/haDevices.js';
import { Host, until } from '../support/host.js';

/**
 * Bridge mode as a user with Home Assistant runs it: their Zigbee2MQTT light lives on their own
 * Mosquitto (Debian's, started here with its own config and password file), `broker.bridges` in
 * Alicia's config.json names it, and the light is switched by a spoken command to Alicia. The
 * "Zigbee2MQTT" is a plain MQTT client on the upstream broker that announces the light by Home
 * Assistant discovery (the shape Zigbee2MQTT publishes) and answers a command on <name>/set with its
 * new state, as Zigbee2MQTT does. Build first: npm run build.
 */
const run = promisify(execFile);

const LIGHT = haFixture('Zigbee2MQTT');
const STATE_TOPIC = stateTopic(LIGHT)!;
const COMMAND_TOPIC = commandTopic(LIGHT);
const AVAILABILITY_TOPIC = (LIGHT.config.availability as { topic: string }[])[0]!.topic;

interface BridgeStateMsg {
  state: string;
  counters: { bridged_in: number; bridged_out: number; loops_dropped: number; failed: number; reconnects: number };
  filters: { in: string[]; out: string[] };
}

let upstream: UpstreamMosquitto;
let host: Host;
let z2m: MqttClient;
let audioDir: string;
let light: EchoingDevice;
const bridgeStates: BridgeStateMsg[] = [];
const deviceStatus = new Map<string, { name: string; state: Record<string, unknown>; online?: boolean }>();

/** A Zigbee2MQTT stand-in: announces the light (retained) on every connect and answers its commands on its state topic. */
async function startZigbee2Mqtt(): Promise<MqttClient> {
  const c = await connectClient(upstream.url, { ...upstream.deviceUser, reconnectPeriod: 200 });
  const announce = () => {
    for (const [topic, payload] of Object.entries(LIGHT.retained)) c.publish(topic, payload, { qos: 1, retain: true });
    c.publish(LIGHT.config_topic, JSON.stringify(LIGHT.config), { qos: 1, retain: true });
  };
  // the broker restarted without persistence: a real Zigbee2MQTT announces everything again
  c.on('connect', announce);
  light = await echoDevice(c, LIGHT);
  announce();
  return c;
}

const commands = () => light.commands.map((p) => JSON.parse(p) as Record<string, unknown>);

async function spoken(text: string): Promise<string> {
  const raw = join(audioDir, 'raw.wav');
  const wav = join(audioDir, 'utt.wav');
  await run('espeak-ng', ['-v', 'en-us', '-s', '140', '-w', raw, text]);
  await run('sox', [raw, '-r', '16000', '-c', '1', '-b', '16', wav, 'pad', '0.3', '0.3']);
  return (await readFile(wav)).toString('base64');
}

const lastBridgeState = () => bridgeStates.at(-1);

beforeAll(async () => {
  audioDir = await mkdtemp(join(tmpdir(), 'alicia-bridge-audio-'));
  upstream = await startUpstreamMosquitto();
  z2m = await startZigbee2Mqtt();
  host = await Host.start({
    config: {
      broker: {
        bridges: [
          {
            name: 'home',
            url: upstream.url,
            username: upstream.bridgeUser.username,
            password: upstream.bridgeUser.password,
            reconnect: { initial_ms: 200, max_ms: 2000 },
          },
        ],
      },
    },
  });
  host.op.on('message', (topic, payload) => {
    if (payload.length === 0) return;
    if (topic === 'alicia/system/bridge/home') bridgeStates.push(JSON.parse(payload.toString()) as BridgeStateMsg);
    if (topic.startsWith('alicia/device/status/')) {
      const m = JSON.parse(payload.toString()) as { device_id: string; name: string; state: Record<string, unknown>; online?: boolean };
      deviceStatus.set(m.device_id, m);
    }
  });
  await host.op.subscribeAsync(['alicia/system/bridge/+', 'alicia/device/status/+'], { qos: 1 });
  await host.allRunning();
}, 120_000);

afterAll(async () => {
  await z2m?.endAsync(true);
  await host?.stop();
  await upstream?.stop();
  if (audioDir) await rm(audioDir, { recursive: true, force: true });
});

const deskBulb = () => deviceStatus.get(adoptedId(LIGHT));

describe('bridge mode: the user keeps their own Mosquitto', () => {
  it('adopts the Zigbee2MQTT light announced upstream, and a spoken command switches it there', async () => {
    await until('the bridge connected upstream', () => lastBridgeState()?.state === 'connected', 30_000);
    const adopted = await until('the light adopted by the device manager', () => deskBulb(), 30_000);
    expect(adopted.state).toMatchObject({ on: false });
    // the bridge follows the topics the adopted config names
    await until('followed topics', () => lastBridgeState()?.filters.out.includes(COMMAND_TOPIC), 10_000);
    expect(lastBridgeState()!.filters.in).toEqual(expect.arrayContaining(['homeassistant/#', STATE_TOPIC, AVAILABILITY_TOPIC]));

    const audio_data = await spoken('turn on the desk bulb');
    const t0 = Date.now();
    const answer = await host.ask('alicia/voice/command', { session_id: 'bridge-e2e', audio_data, speak: false }, 60_000);
    expect(answer.body).toMatchObject({ ok: true, transcription: 'turn on the desk bulb' });
    // the client on the user's broker got the command payload Zigbee2MQTT expects
    await until('the command upstream', () => commands().length > 0, 10_000);
    expect(commands()[0]).toMatchObject({ state: 'ON' });
    // ... and its answer came back in: the device is on here too
    await until('the light on in Alicia', () => deskBulb()?.state.on === true, 10_000);
    process.stdout.write(
      `bridge e2e: spoken command answered in ${answer.at - t0} ms; light on upstream and back in ${Date.now() - t0} ms\n`,
    );
    await until('counters published', () => (lastBridgeState()?.counters.bridged_out ?? 0) >= 1, 10_000);
    expect(lastBridgeState()!.counters.bridged_in).toBeGreaterThanOrEqual(4);
  }, 120_000);

  it('reconnects by itself when the user restarts their broker, and commands flow again', async () => {
    await until('the bridge connected', () => lastBridgeState()?.state === 'connected', 30_000);
    const before = lastBridgeState()!.counters;
    const oldPid = upstream.pid();
    await upstream.kill();
    await until('the bridge says it is reconnecting', () => lastBridgeState()?.state === 'reconnecting', 20_000);
    await upstream.start();
    expect(upstream.pid()).not.toBe(oldPid);
    await until(
      'connected again',
      () => lastBridgeState()?.state === 'connected' && lastBridgeState()!.counters.reconnects === before.reconnects + 1,
      30_000,
    );
    // The Zigbee2MQTT stand-in reconnects on its own schedule: a command published upstream before it has
    // subscribed again is lost there (measured: 1 run in 3). Its announcement, bridged in, follows its
    // resubscription on the same connection, so once something new came in it is listening.
    await until(
      'Zigbee2MQTT back on its broker and announced',
      () => z2m.connected && (lastBridgeState()?.counters.bridged_in ?? 0) > before.bridged_in,
      30_000,
    );
    // the light re-announced itself upstream; a command goes out and its new state comes back
    const sent = commands().length;
    const answer = await host.ask(
      'alicia/voice/command',
      { session_id: 'bridge-e2e', text: 'turn off the desk bulb', speak: false },
      60_000,
    );
    expect(answer.body).toMatchObject({ ok: true });
    await until('the second command upstream', () => commands().length > sent, 10_000);
    expect(commands().at(-1)).toMatchObject({ state: 'OFF' });
    await until('the light off in Alicia', () => deskBulb()?.state.on === false, 10_000);
    await until(
      'counters moved',
      () => {
        const c = lastBridgeState()?.counters;
        return c !== undefined && c.bridged_out > before.bridged_out && c.bridged_in > before.bridged_in;
      },
      15_000,
    );
    expect(lastBridgeState()!.counters.loops_dropped).toBe(0);
  }, 120_000);
});
