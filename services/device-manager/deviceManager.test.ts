import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestBroker } from '../../electron/host/broker/testing/testBroker.js';
import type { TestBroker } from '../../electron/host/broker/testing/testBroker.js';
import { DeviceManager } from './deviceManager.js';
import { TestClient } from './testing/busClient.js';
import { echoDevice, haFixture } from '../../e2e/support/haDevices.js';
import type { HaFixture } from '../../e2e/support/haDevices.js';

let tb: TestBroker;
let op: TestClient;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  tb = await startTestBroker();
  op = await TestClient.connect(tb.url, tb.credentials.operator);
});
afterAll(async () => {
  await op?.close();
  await tb?.stop();
});
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'alicia-dm-test-'));
  cleanups.unshift(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function startDm(dir: string, config: Record<string, unknown> = {}): Promise<DeviceManager> {
  const dm = new DeviceManager({
    connection: { url: tb.url, ...tb.credentials['device-manager'] },
    dataDir: dir,
    config: { sensor_interval_ms: 60_000, ...config },
  });
  await dm.start();
  cleanups.push(() => dm.stop());
  return dm;
}

const command = (body: object) => op.request('alicia/device/command', 'alicia/device/response', body);
const registry = (body: object) => op.request('alicia/device/registry/request', 'alicia/device/registry/response', body);
const status = (id: string) => TestClient.retained(tb.url, tb.credentials.window, `alicia/device/status/${id}`);

describe('device-manager through a real broker', () => {
  it('publishes the default home retained on start; commands change state, visible to a late subscriber', async () => {
    await startDm(await dataDir());
    const kl = await status('kitchen_light');
    expect(kl).toMatchObject({
      device_id: 'kitchen_light',
      kind: 'light',
      room: 'kitchen',
      online: true,
      origin: 'simulated',
      state: { on: false, brightness: 80 },
    });
    expect(await status('hallway_sensor')).toMatchObject({ kind: 'sensor', state: { temperature: 20.5 } });

    const r = await command({ device_id: 'kitchen_light', action: 'set_brightness', params: { brightness: 35 } });
    expect(r).toMatchObject({ ok: true, device_id: 'kitchen_light', action: 'set_brightness', state: { on: true, brightness: 35 } });
    expect(await status('kitchen_light')).toMatchObject({ state: { on: true, brightness: 35 } });

    const t = await command({ device_id: 'thermostat', action: 'set_temperature', params: { target: 23 } });
    expect(t).toMatchObject({ ok: true, state: { target: 23, mode: 'heat' } });
    expect(await command({ device_id: 'front_door', action: 'unlock' })).toMatchObject({ ok: true, state: { locked: false } });
    expect(await command({ device_id: 'kitchen_speaker', action: 'set_volume', params: { volume: 70 } })).toMatchObject({
      ok: true,
      state: { volume: 70 },
    });
  });

  it('answers unknown devices, bad actions and bad params with coded errors carrying the device id', async () => {
    await startDm(await dataDir());
    expect(await command({ device_id: 'garage_door', action: 'turn_on' })).toMatchObject({
      ok: false,
      device_id: 'garage_door',
      error: { code: 'DEVICE_UNKNOWN' },
    });
    expect(await command({ device_id: 'bedroom_lamp', action: 'set_brightness', params: { brightness: 50 } })).toMatchObject({
      ok: false,
      device_id: 'bedroom_lamp',
      action: 'set_brightness',
      error: { code: 'DEVICE_BAD_ACTION' },
    });
    expect(await command({ device_id: 'thermostat', action: 'set_temperature', params: { temperature: 80 } })).toMatchObject({
      ok: false,
      error: { code: 'DEVICE_BAD_PARAMS' },
    });
    expect(await command({ device_id: 'kitchen_light', action: '' })).toMatchObject({
      ok: false,
      device_id: 'kitchen_light',
      error: { code: 'SCHEMA_INVALID' },
    });
    // the failed commands changed nothing
    expect(await status('bedroom_lamp')).toMatchObject({ state: { on: false } });
  });

  it('checks commands against the action union: the same codes, messages and details as before it existed', async () => {
    await startDm(await dataDir());
    const refused = async (device_id: string, action: string, params: object) =>
      ((await command({ device_id, action, params })) as { error: unknown }).error;
    expect(await refused('kitchen_light', 'set_brightness', { brightness: 150 })).toEqual({
      code: 'DEVICE_BAD_PARAMS',
      message: 'brightness must be between 0 and 100',
      details: { param: 'brightness', min: 0, max: 100 },
    });
    expect(await refused('kitchen_speaker', 'set_volume', { volume: 'loud' })).toEqual({
      code: 'DEVICE_BAD_PARAMS',
      message: 'volume must be a number',
      details: { param: 'volume' },
    });
    expect(await refused('thermostat', 'set_temperature', {})).toEqual({
      code: 'DEVICE_BAD_PARAMS',
      message: 'temperature is required',
      details: { param: 'temperature' },
    });
    expect(await refused('thermostat', 'set_mode', { mode: 'turbo' })).toEqual({
      code: 'DEVICE_BAD_PARAMS',
      message: 'mode must be one of heat, cool, off',
      details: { param: 'mode', allowed: ['heat', 'cool', 'off'] },
    });
    expect(await refused('bedroom_lamp', 'set_brightness', { brightness: 50 })).toEqual({
      code: 'DEVICE_BAD_ACTION',
      message: 'a light cannot set_brightness',
      details: { actions: ['get_state', 'turn_on', 'turn_off', 'toggle'] },
    });
    expect(await refused('front_door', 'explode', {})).toMatchObject({ code: 'DEVICE_BAD_ACTION', message: 'a lock cannot explode' });
    // numbers as text and the older parameter names are still understood
    expect(await command({ device_id: 'kitchen_light', action: 'set_brightness', params: { value: '55%' } })).toMatchObject({
      ok: true,
      state: { on: true, brightness: 55 },
    });
    expect(await command({ device_id: 'thermostat', action: 'set_temperature', params: { temperature: '22.5' } })).toMatchObject({
      ok: true,
      state: { target: 22.5 },
    });
  });

  it('registry add / rename / remove, and the registry and states survive a restart', async () => {
    const dir = await dataDir();
    const dm1 = await startDm(dir);
    expect(
      await registry({
        action: 'add',
        device: { device_id: 'desk_fan', name: 'desk fan', kind: 'switch', room: 'office', aliases: ['the fan'] },
      }),
    ).toMatchObject({ ok: true });
    expect(await status('desk_fan')).toMatchObject({ name: 'desk fan', kind: 'switch', state: { on: false } });
    expect(await registry({ action: 'add', device: { device_id: 'desk_fan', name: 'again', kind: 'switch' } })).toMatchObject({
      ok: false,
      error: { code: 'DEVICE_EXISTS' },
    });
    await command({ device_id: 'desk_fan', action: 'turn_on' });
    expect(
      await registry({ action: 'rename', device_id: 'kitchen_light', name: 'ceiling light', room: 'kitchen', aliases: ['big light'] }),
    ).toMatchObject({ ok: true });
    expect(await status('kitchen_light')).toMatchObject({ name: 'ceiling light', aliases: ['big light'] });
    await command({ device_id: 'living_room_light', action: 'set_brightness', params: { brightness: 12 } });
    expect(await registry({ action: 'remove', device_id: 'bedroom_lamp' })).toMatchObject({ ok: true });
    expect(await status('bedroom_lamp')).toBeNull();
    expect(await registry({ action: 'remove', device_id: 'bedroom_lamp' })).toMatchObject({ ok: false, error: { code: 'DEVICE_UNKNOWN' } });

    await dm1.stop();
    await startDm(dir);
    const list = await registry({ action: 'list' });
    const ids = (list.devices as { device_id: string }[]).map((d) => d.device_id);
    expect(ids).toContain('desk_fan');
    expect(ids).not.toContain('bedroom_lamp'); // the default home is not re-seeded over the user's removal
    const byId = Object.fromEntries((list.devices as { device_id: string }[]).map((d) => [d.device_id, d]));
    expect(byId.kitchen_light).toMatchObject({ name: 'ceiling light', aliases: ['big light'] });
    expect(byId.living_room_light).toMatchObject({ state: { on: true, brightness: 12 } });
    expect(byId.desk_fan).toMatchObject({ state: { on: true } });
  });

  it('publishes hallway sensor readings periodically', async () => {
    let x = 0;
    const dm = new DeviceManager({
      connection: { url: tb.url, ...tb.credentials['device-manager'] },
      dataDir: await dataDir(),
      config: { sensor_interval_ms: 150 },
      random: () => ((x = (x + 0.37) % 1), x),
    });
    await op.sub('alicia/device/status/hallway_sensor');
    await dm.start();
    cleanups.push(() => dm.stop());
    const seen: number[] = [];
    while (seen.length < 3) {
      const m = await op.nextJson('alicia/device/status/hallway_sensor', (s) => !seen.includes(s.updated_at as number));
      expect(m.state).toMatchObject({ temperature: expect.any(Number), humidity: expect.any(Number), motion: expect.any(Boolean) });
      seen.push(m.updated_at as number);
    }
  });
});

describe('Home Assistant MQTT discovery adoption', () => {
  const cfgTopic = 'homeassistant/light/test_node/desk_lamp/config';
  const lamp = {
    name: 'Desk lamp',
    cmd_t: 'test_node/desk_lamp/set',
    stat_t: 'test_node/desk_lamp/state',
    dev: { name: 'Desk lamp', sa: 'office' },
  };

  it('adopts an announced light, commands it through its command topic, reflects its state, removes it on an empty config', async () => {
    const dir = await dataDir();
    await startDm(dir, { confirm_timeout_ms: 400 });
    const device = await TestClient.connect(tb.url, tb.credentials.operator);
    cleanups.push(() => device.close());
    await device.sub('test_node/desk_lamp/set');
    await op.sub('alicia/device/status/desk_lamp');

    const adopted = op.nextJson('alicia/device/status/desk_lamp');
    await device.pub(cfgTopic, lamp, { retain: true });
    expect(await adopted).toMatchObject({
      device_id: 'desk_lamp',
      name: 'Desk lamp',
      kind: 'light',
      room: 'office',
      origin: 'homeassistant',
      online: true,
      state: { on: false },
    });

    // The fake device answers each command on its state topic, as Tasmota/Z2M do.
    const onSet = (topic: string, payload: Buffer) => {
      if (topic === 'test_node/desk_lamp/set') void device.pub('test_node/desk_lamp/state', payload.toString());
    };
    device.client.on('message', onSet);
    const cmdSeen = device.next((t) => t === 'test_node/desk_lamp/set');
    const r = await command({ device_id: 'desk_lamp', action: 'turn_on' });
    expect((await cmdSeen).payload.toString()).toBe('ON');
    expect(r).toMatchObject({ ok: true, device_id: 'desk_lamp', state: { on: true }, confirmed: true });
    expect(await status('desk_lamp')).toMatchObject({ state: { on: true } });
    device.client.off('message', onSet);

    // a state change made at the device (wall switch) shows up in the status
    const off = op.nextJson('alicia/device/status/desk_lamp', (m) => (m.state as { on?: boolean }).on === false);
    await device.pub('test_node/desk_lamp/state', 'OFF');
    await off;

    // the device does not answer: a coded timeout, not a false "done"
    expect(await command({ device_id: 'desk_lamp', action: 'turn_on' })).toMatchObject({ ok: false, error: { code: 'DEVICE_TIMEOUT' } });

    // an empty retained config removes it and clears its retained status
    const cleared = op.next(
      (t) => t === 'alicia/device/status/desk_lamp',
      (p) => p.length === 0,
    );
    await device.pub(cfgTopic, '', { retain: true });
    await cleared;
    expect(await status('desk_lamp')).toBeNull();
    expect(await command({ device_id: 'desk_lamp', action: 'turn_on' })).toMatchObject({ ok: false, error: { code: 'DEVICE_UNKNOWN' } });
  });

  it('an unavailable device answers DEVICE_OFFLINE; availability comes back; adopted devices persist across restarts', async () => {
    const dir = await dataDir();
    const dm1 = await startDm(dir, { confirm_timeout_ms: 300 });
    const device = await TestClient.connect(tb.url, tb.credentials.operator);
    cleanups.push(() => device.close());
    await op.sub('alicia/device/status/plug_1');
    const adopted = op.nextJson('alicia/device/status/plug_1');
    // not retained: after the restart only the registry can bring it back
    await device.pub('homeassistant/switch/plug/config', {
      name: 'Plug',
      uniq_id: 'Plug 1',
      '~': 'tasmota/plug',
      cmd_t: '~/cmnd/POWER',
      avty_t: '~/LWT',
      pl_avail: 'Online',
      pl_not_avail: 'Offline',
      opt: true,
    });
    expect(await adopted).toMatchObject({ device_id: 'plug_1', kind: 'switch', online: false });
    expect(await command({ device_id: 'plug_1', action: 'turn_on' })).toMatchObject({ ok: false, error: { code: 'DEVICE_OFFLINE' } });

    const online = op.nextJson('alicia/device/status/plug_1', (m) => m.online === true);
    await device.pub('tasmota/plug/LWT', 'Online', { retain: true });
    await online;
    await device.sub('tasmota/plug/cmnd/POWER');
    const cmdSeen = device.next((t) => t === 'tasmota/plug/cmnd/POWER');
    // optimistic (opt: true, no state topic): answered at once with the predicted state
    expect(await command({ device_id: 'plug_1', action: 'turn_on' })).toMatchObject({ ok: true, state: { on: true }, confirmed: false });
    expect((await cmdSeen).payload.toString()).toBe('ON');

    await dm1.stop();
    // After the restart the device comes from the registry (its config was not retained), and its
    // retained availability is read again from the broker.
    const back = op.nextJson('alicia/device/status/plug_1', (m) => m.online === true);
    await startDm(dir, { confirm_timeout_ms: 300 });
    expect(await back).toMatchObject({ origin: 'homeassistant', state: { on: true } });
    expect(await status('plug_1')).toMatchObject({ origin: 'homeassistant', online: true, state: { on: true } });
    await device.pub('tasmota/plug/LWT', '', { retain: true });
  });

  it('ignores bad configs (and keeps working)', async () => {
    await startDm(await dataDir());
    await op.pub('homeassistant/light/bad/config', 'this is not json');
    await op.pub('homeassistant/light/bad2/config', { name: 'no command topic' });
    await op.pub('homeassistant/switch/evil/config', { cmd_t: 'alicia/device/command' });
    await op.pub('homeassistant/vacuum/robo/config', { cmd_t: 'robo/set' });
    expect(await command({ device_id: 'bedroom_lamp', action: 'toggle' })).toMatchObject({ ok: true, state: { on: true } });
    const ids = ((await registry({ action: 'list' })).devices as { device_id: string }[]).map((d) => d.device_id);
    expect(ids.some((id) => ['bad', 'bad2', 'evil', 'robo'].includes(id))).toBe(false);
  });
});

describe('naming adopted devices (registry rename)', () => {
  const z2m = haFixture('Zigbee2MQTT');
  const esp = haFixture('ESPHome');
  const BULB = '0x00158d0001_light_zigbee2mqtt';
  const SHELF = 'esplightshelf_light';
  type Status = { name?: string; room?: string; aliases?: string[]; announced?: { name: string; room: string } };

  async function announce(device: TestClient, f: HaFixture, config = f.config): Promise<void> {
    for (const [topic, payload] of Object.entries(f.retained)) await device.pub(topic, payload, { retain: true });
    await device.pub(f.config_topic, config, { retain: true });
  }

  it('refuses a name, room or alias that cannot be said or is taken, with a coded error in words, and changes nothing', async () => {
    await startDm(await dataDir());
    const refused = async (body: object) =>
      ((await registry({ action: 'rename', device_id: 'bedroom_lamp', ...body })) as { error: unknown }).error;
    expect(await refused({ name: '' })).toEqual({
      code: 'DEVICE_NAME_INVALID',
      message: 'Give the device a name, e.g. desk lamp',
      details: { field: 'name', value: '' },
    });
    expect(await refused({ room: 'room #2' })).toMatchObject({ code: 'DEVICE_ROOM_INVALID', details: { field: 'room' } });
    expect(await refused({ aliases: ['nightlight', 'nightlight'] })).toMatchObject({ code: 'DEVICE_ALIAS_INVALID' });
    expect(await refused({ name: 'kitchen lamp', room: 'study' })).toMatchObject({
      code: 'DEVICE_NAME_TAKEN',
      message: '“kitchen lamp” already means kitchen_light: voice commands would be ambiguous',
      details: { field: 'name', device_id: 'kitchen_light' },
    });
    // a longer text than the registry keeps is refused in words too, not as a bare SCHEMA_INVALID
    expect(await refused({ name: 'a'.repeat(200) })).toMatchObject({ code: 'DEVICE_NAME_INVALID', message: /too long/ });
    expect(await status('bedroom_lamp')).toMatchObject({
      name: 'bedroom lamp',
      room: 'bedroom',
      aliases: ['the lamp', 'bedroom light', 'bedside lamp'],
    });
  });

  it('a room, name and aliases the user gives an adopted device survive re-announcements and restarts; what the user left follows the device', async () => {
    const dir = await dataDir();
    const dm1 = await startDm(dir, { confirm_timeout_ms: 2000 });
    const device = await TestClient.connect(tb.url, tb.credentials.operator);
    cleanups.push(async () => {
      // the broker outlives this test: clear what it retained for the next one
      for (const f of [z2m, esp]) for (const t of [f.config_topic, ...Object.keys(f.retained)]) await device.pub(t, '', { retain: true });
      await device.close();
    });
    await op.sub(`alicia/device/status/${BULB}`);
    await op.sub(`alicia/device/status/${SHELF}`);
    const adopted = Promise.all([op.nextJson(`alicia/device/status/${BULB}`), op.nextJson(`alicia/device/status/${SHELF}`)]);
    await announce(device, z2m);
    await announce(device, esp);
    expect(await adopted).toMatchObject([
      { name: 'desk bulb', room: '', announced: { name: 'desk bulb', room: '' }, origin: 'homeassistant' },
      { name: 'Shelf Light', room: '', announced: { name: 'Shelf Light', room: '' } },
    ]);

    expect(
      await registry({ action: 'rename', device_id: BULB, name: 'desk lamp', room: ' Study ', aliases: ['reading light'] }),
    ).toMatchObject({
      ok: true,
      devices: [{ device_id: BULB, name: 'desk lamp', room: 'Study', aliases: ['reading light'] }],
    });
    // the second device put in "study" joins the room as it is already written
    expect(await registry({ action: 'rename', device_id: SHELF, room: 'study' })).toMatchObject({ ok: true, devices: [{ room: 'Study' }] });

    // The device republishes its retained config unchanged (a reconnect), then announces a new name
    // and area (renamed in its firmware): the user's name and room stay, the shelf light's name follows.
    await device.pub(z2m.config_topic, z2m.config, { retain: true });
    const renamedBulb = op.nextJson(`alicia/device/status/${BULB}`, (m) => (m as Status).announced?.name === 'hall bulb');
    const renamedShelf = op.nextJson(`alicia/device/status/${SHELF}`, (m) => (m as Status).name === 'Shelf Lamp');
    await device.pub(
      z2m.config_topic,
      { ...z2m.config, device: { ...(z2m.config.device as object), name: 'hall bulb', suggested_area: 'hall' } },
      { retain: true },
    );
    await device.pub(esp.config_topic, { ...esp.config, name: 'Shelf Lamp' }, { retain: true });
    expect(await renamedBulb).toMatchObject({
      name: 'desk lamp',
      room: 'Study',
      aliases: ['reading light'],
      announced: { name: 'hall bulb', room: 'hall' },
    });
    expect(await renamedShelf).toMatchObject({ name: 'Shelf Lamp', room: 'Study', announced: { name: 'Shelf Lamp', room: '' } });

    // A restart: the registry comes back from SQLite and the retained configs are delivered again.
    await dm1.stop();
    await startDm(dir, { confirm_timeout_ms: 2000 });
    const list = (await registry({ action: 'list' })).devices as (Status & { device_id: string })[];
    expect(list.find((d) => d.device_id === BULB)).toMatchObject({ name: 'desk lamp', room: 'Study', aliases: ['reading light'] });
    expect(list.find((d) => d.device_id === SHELF)).toMatchObject({ name: 'Shelf Lamp', room: 'Study' });
    expect(await status(BULB)).toMatchObject({ name: 'desk lamp', room: 'Study' });

    // and it still obeys, through its own command topic, answering on its state topic
    const echo = await echoDevice(device.client, z2m);
    expect(await command({ device_id: BULB, action: 'turn_on' })).toMatchObject({ ok: true, confirmed: true, state: { on: true } });
    expect(echo.commands).toEqual([z2m.command_seen.payload]);
    await echo.stop();
  });
});
