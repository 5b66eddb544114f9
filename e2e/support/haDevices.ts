import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { RuntimeInfo } from '../../electron/host/headless.js';
import { mosquittoPub } from './bus.js';
import { ROOT } from './host.js';

/**
 * Home Assistant discovery devices for tests: the configs Zigbee2MQTT, Tasmota and ESPHome really
 * publish (ha-discovery.json, captured from the firmware's shapes, with the retained topics beside
 * them and the command each got), and a stand-in device that answers its commands on its state
 * topic the way the firmware does. A device that does not answer makes every command end in
 * DEVICE_TIMEOUT, so tests that command an adopted device need one.
 */

export interface HaFixture {
  firmware: string;
  config_topic: string;
  config: Record<string, unknown>;
  retained: Record<string, string>;
  command_seen: { topic: string; payload: string };
}

/** The JSON stays in the source tree (this file also runs compiled, from dist/e2e/support). */
const FIXTURES = join(ROOT, 'e2e', 'support', 'ha-discovery.json');

export function haFixtures(): HaFixture[] {
  return (JSON.parse(readFileSync(FIXTURES, 'utf8')) as { devices: HaFixture[] }).devices;
}

/** The fixture whose firmware line starts with `firmware` ("Zigbee2MQTT", "Tasmota", "ESPHome"). */
export function haFixture(firmware: string): HaFixture {
  const f = haFixtures().find((d) => d.firmware.startsWith(firmware));
  if (!f) throw new Error(`no fixture for ${firmware}`);
  return f;
}

/** A config with the abbreviations and the `~` base topic of Tasmota/ESPHome expanded enough to find its topics. */
function topicOf(config: Record<string, unknown>, long: string, short: string): string | undefined {
  const v = config[long] ?? config[short];
  if (typeof v !== 'string') return undefined;
  const base = typeof config['~'] === 'string' ? config['~'] : '';
  return v.startsWith('~') ? base + v.slice(1) : v.endsWith('~') ? v.slice(0, -1) + base : v;
}

export function commandTopic(f: HaFixture): string {
  const t = topicOf(f.config, 'command_topic', 'cmd_t');
  if (!t) throw new Error(`${f.config_topic} has no command topic`);
  return t;
}

export function stateTopic(f: HaFixture): string | undefined {
  return topicOf(f.config, 'state_topic', 'stat_t');
}

/**
 * The state a firmware reports after a command: JSON-schema lights (Zigbee2MQTT, ESPHome) report
 * the JSON state they were sent; Tasmota's POWER answers the plain word.
 */
function echoOf(f: HaFixture, command: string): string {
  return f.config.schema === 'json' ? command : command.trim();
}

export interface EchoingDevice {
  /** every command payload received, in order */
  readonly commands: string[];
  /** while held, commands are collected but not answered until release() */
  hold(): void;
  release(): Promise<void>;
  /** stop answering and unsubscribe */
  stop(): Promise<void>;
}

/**
 * Make `client` act as the fixture's device: subscribe to its command topic and publish each
 * command back on its state topic (retained, as Zigbee2MQTT does), so the device manager's command
 * is confirmed. `hold()` keeps commands unanswered to test what the window does meanwhile.
 */
export async function echoDevice(client: MqttClient, f: HaFixture): Promise<EchoingDevice> {
  const cmd = commandTopic(f);
  const state = stateTopic(f);
  if (!state) throw new Error(`${f.config_topic} has no state topic to answer on`);
  const commands: string[] = [];
  const held: string[] = [];
  let holding = false;
  const answer = (payload: string) => client.publishAsync(state, echoOf(f, payload), { qos: 1, retain: true });
  const on = (topic: string, payload: Buffer) => {
    if (topic !== cmd) return;
    const text = payload.toString();
    commands.push(text);
    if (holding) held.push(text);
    else void answer(text);
  };
  client.on('message', on);
  await client.subscribeAsync(cmd, { qos: 1 });
  return {
    commands,
    hold: () => {
      holding = true;
    },
    release: async () => {
      holding = false;
      for (const p of held.splice(0)) await answer(p);
    },
    stop: async () => {
      client.off('message', on);
      await client.unsubscribeAsync(cmd);
    },
  };
}

/** The device id the device manager gives an adopted fixture (its unique_id, as haEntity.entityDeviceId makes it). */
export function adoptedId(f: HaFixture): string {
  const u = f.config.unique_id ?? f.config.uniq_id;
  if (typeof u !== 'string') throw new Error(`${f.config_topic} has no unique id`);
  return u
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** Announce a fixture the way its firmware does, with Debian's mosquitto_pub: its retained topics, then its retained config. */
export async function announce(rt: RuntimeInfo, f: HaFixture, config: Record<string, unknown> = f.config): Promise<void> {
  for (const [topic, payload] of Object.entries(f.retained)) await mosquittoPub(rt, topic, payload, { retain: true });
  await mosquittoPub(rt, f.config_topic, JSON.stringify(config), { retain: true });
}

/**
 * Take a fixture away again: an empty retained config removes the adopted device (Home Assistant
 * discovery), and its retained state topics are cleared, so the next test (or run) starts clean.
 */
export async function forget(rt: RuntimeInfo, f: HaFixture): Promise<void> {
  const state = stateTopic(f);
  for (const topic of [f.config_topic, ...Object.keys(f.retained), ...(state ? [state] : [])]) {
    await mosquittoPub(rt, topic, '', { retain: true });
  }
}
