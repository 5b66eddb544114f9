import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SpeechCorpus } from '../../services/stt/testing/speech.js';
import { adoptedId, announce, echoDevice, haFixture } from '../support/haDevices.js';
import type { EchoingDevice } from '../support/haDevices.js';
import { Host, sleep } from '../support/host.js';

/**
 * Devices adopted from Home Assistant discovery (real Zigbee2MQTT, ESPHome and Tasmota payloads,
 * announced with mosquitto_pub) are given a room, a name and aliases through the registry; the
 * device-manager process keeps them in its SQLite file, so they are still there after the whole
 * host stopped and started again on the same data dir. Voice then reaches exactly the devices put
 * in the room: every alicia/device/command is counted on the bus, and at the devices themselves.
 */

const dataDir = mkdtempSync(join(tmpdir(), 'alicia-naming-'));
const speech = new SpeechCorpus();
let host: Host | null = null;

afterAll(async () => {
  await host?.stop({ keep: true });
  rmSync(dataDir, { recursive: true, force: true });
  await speech.dispose();
});

const z2m = haFixture('Zigbee2MQTT');
const esp = haFixture('ESPHome');
const tasmota = haFixture('Tasmota');
const BULB = adoptedId(z2m);
const SHELF = adoptedId(esp);
const PLUG = adoptedId(tasmota);

type Listed = { device_id: string; name: string; room: string; aliases: string[]; online: boolean };

/** Every alicia/device/command the operator sees from now on, as "device_id action". */
async function deviceCommands(h: Host): Promise<string[]> {
  const seen: string[] = [];
  h.op.on('message', (topic, payload) => {
    if (topic !== 'alicia/device/command') return;
    const m = JSON.parse(payload.toString()) as { device_id: string; action: string };
    seen.push(`${m.device_id} ${m.action}`);
  });
  await h.op.subscribeAsync('alicia/device/command', { qos: 1 });
  return seen;
}

/** Ask until `fn` holds (an async until). */
async function eventually(what: string, fn: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  for (const end = Date.now() + timeoutMs; !(await fn()); await sleep(50)) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  }
}

async function listed(h: Host): Promise<(Listed & { state: { on?: boolean } })[]> {
  const a = await h.ask('alicia/device/registry/request', { action: 'list' });
  return a.body?.devices as (Listed & { state: { on?: boolean } })[];
}

/** The devices report the state the voice command set (their echo reached the device manager). */
async function settled(h: Host, ids: string[], on: boolean): Promise<void> {
  await eventually(
    `${ids.join(', ')} to report ${on ? 'on' : 'off'}`,
    async () => {
      const list = await listed(h);
      return ids.every((id) => list.find((d) => d.device_id === id)?.state.on === on);
    },
    10_000,
  );
}

async function echoAll(h: Host): Promise<EchoingDevice[]> {
  return Promise.all([z2m, esp, tasmota].map((f) => echoDevice(h.op, f)));
}

describe('naming adopted devices, across a restart of the host, used by voice', () => {
  it('a room, name and aliases given to adopted devices survive a host restart; "the lights in the study" reaches exactly the study lights', async () => {
    host = await Host.start({ dataDir });
    await host.allRunning();
    for (const f of [z2m, esp, tasmota]) await announce(host.runtime, f);
    const h1 = host;
    await eventually(
      'the three devices adopted',
      async () => {
        const ids = (await listed(h1)).map((d) => d.device_id);
        return [BULB, SHELF, PLUG].every((id) => ids.includes(id));
      },
      15_000,
    );

    const renames = [
      { device_id: BULB, name: 'desk lamp', room: 'study', aliases: ['reading light'] },
      { device_id: SHELF, room: 'Study' },
      // a switch counts as a light to voice: in another room it must stay out of the study's command
      { device_id: PLUG, room: 'porch' },
    ];
    for (const r of renames) {
      const a = await host.ask('alicia/device/registry/request', { action: 'rename', ...r });
      expect(a.ok, JSON.stringify(a.body)).toBe(true);
    }

    // Stop the whole host (SIGTERM) and start it again on the same data dir.
    await host.stop({ keep: true });
    host = await Host.start({ dataDir });
    const h = host;
    await h.allRunning();
    const byId = new Map((await listed(h)).map((d) => [d.device_id, d]));
    expect(byId.get(BULB)).toMatchObject({ name: 'desk lamp', room: 'study', aliases: ['reading light'] });
    // the second light joined the room as the first one wrote it
    expect(byId.get(SHELF)).toMatchObject({ name: 'Shelf Light', room: 'study' });
    expect(byId.get(PLUG)).toMatchObject({ name: 'Porch Plug', room: 'porch' });

    // The devices reconnect to the new broker and announce themselves again, as their firmware does
    // (availability "online", the same discovery config): what the user named stays.
    for (const f of [z2m, esp, tasmota]) await announce(h.runtime, f);
    await eventually(
      'the adopted devices online again',
      async () => {
        const list = await listed(h);
        return [BULB, SHELF, PLUG].every((id) => list.find((d) => d.device_id === id)?.online === true);
      },
      15_000,
    );
    expect((await listed(h)).find((d) => d.device_id === BULB)).toMatchObject({ name: 'desk lamp', room: 'study' });

    const commands = await deviceCommands(h);
    const devices = await echoAll(h);
    const typed = await h.ask('alicia/voice/command', {
      session_id: 'naming-typed',
      text: 'turn on the lights in the study',
      speak: false,
    });
    expect(typed.body, JSON.stringify(typed.body?.error)).toMatchObject({
      ok: true,
      intent: { name: 'turn_on', slots: { room: 'study', count: 2 } },
    });
    await settled(h, [BULB, SHELF], true);
    expect([...commands].sort()).toEqual([`${BULB} turn_on`, `${SHELF} turn_on`]);
    // at the devices: one command each on their own topics, none at the plug on the porch
    expect(devices.map((d) => d.commands.length)).toEqual([1, 1, 0]);

    // the alias the user gave answers too
    commands.length = 0;
    const alias = await h.ask('alicia/voice/command', { session_id: 'naming-alias', text: 'turn off the reading light', speak: false });
    expect(alias.body).toMatchObject({ ok: true, intent: { name: 'turn_off' } });
    await settled(h, [BULB], false);
    expect(commands).toEqual([`${BULB} turn_off`]);

    // Spoken (espeak-ng, through pocketsphinx with the grammar built from the registry): the study's
    // lights again, and only they.
    commands.length = 0;
    const wav = await speech.speak('turn off the lights in the study');
    const spoken = await h.ask(
      'alicia/voice/command',
      { session_id: 'naming-spoken', audio_data: wav.toString('base64'), speak: false },
      60_000,
    );
    expect(spoken.body).toMatchObject({
      ok: true,
      transcription: 'turn off the lights in the study',
      intent: { name: 'turn_off', slots: { room: 'study', count: 2 } },
    });
    await settled(h, [SHELF], false);
    expect([...commands].sort()).toEqual([`${BULB} turn_off`, `${SHELF} turn_off`]);
    expect(devices.map((d) => d.commands.length)).toEqual([3, 2, 0]);
    for (const d of devices) await d.stop();
  }, 240_000);
});
