import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { openApp } from '../support/app.js';
import { ask, nextMessage, operatorClient } from '../support/bus.js';
import { runtimeFromEnv } from '../support/browser.js';
import { adoptedId, announce, commandTopic, echoDevice, forget, haFixture } from '../support/haDevices.js';
import { screenshots } from '../support/screens.js';

/**
 * Devices adopted from Home Assistant discovery (real Zigbee2MQTT, ESPHome and Tasmota payloads,
 * announced with Debian's mosquitto_pub) arrive without a room. The user names them, puts them in a
 * room and gives them other names from their cards; the registry keeps that across a restart of the
 * device manager and across the devices announcing themselves again, and voice follows it.
 */

const rt = runtimeFromEnv();
const z2m = haFixture('Zigbee2MQTT');
const esp = haFixture('ESPHome');
const tasmota = haFixture('Tasmota');
const BULB = adoptedId(z2m);
const SHELF = adoptedId(esp);
const PLUG = adoptedId(tasmota);
type Status = { name?: string; room?: string; aliases?: string[]; announced?: { name: string } };

/** The room section a card sits in (its heading's text). */
const roomOf = (page: Page, id: string) => page.locator('section.room', { has: page.getByTestId(`device-${id}`) }).locator('h2');

test('an adopted device gets a room, a name and aliases from its card; kept across a restart and re-announcements; voice uses them', async ({
  page,
}) => {
  const bus = await operatorClient(rt);
  const renames: Record<string, unknown>[] = [];
  const commands: { device_id: string; action: string }[] = [];
  bus.on('message', (topic, payload) => {
    const m = JSON.parse(payload.toString()) as Record<string, unknown>;
    if (topic === 'alicia/device/registry/request' && m.action === 'rename') renames.push(m);
    if (topic === 'alicia/device/command') commands.push({ device_id: String(m.device_id), action: String(m.action) });
  });
  await bus.subscribeAsync(['alicia/device/registry/request', 'alicia/device/command'], { qos: 1 });
  try {
    for (const f of [z2m, esp, tasmota]) await announce(rt, f);
    const devices = await Promise.all([z2m, esp, tasmota].map((f) => echoDevice(bus, f)));
    await openApp(page, rt, 'devices');
    for (const id of [BULB, SHELF, PLUG]) await expect(roomOf(page, id)).toContainText('No room yet · Home Assistant');
    await expect(page.locator('.room-hint')).toContainText('Give each a room with Edit');
    await screenshots(page, 'devices-adopted-no-room', page.getByTestId(`device-${BULB}`));

    // What cannot be said is refused in the form, in words, before anything is sent.
    await page.getByTestId(`edit-${BULB}`).click();
    const name = page.getByTestId(`edit-name-${BULB}`);
    await expect(name).toBeFocused();
    await expect(name).toHaveValue('desk bulb');
    await name.fill('lamp #2');
    await page.getByTestId(`edit-save-${BULB}`).click();
    await expect(page.getByTestId(`edit-error-name-${BULB}`)).toHaveText("The name may only use letters, digits, spaces, ' and -");
    await expect(name).toHaveAttribute('aria-invalid', 'true');

    // What the device manager refuses (voice hears "alicia lamp" as "lamp", the bedroom lamp's alias)
    // comes back on the field, in words, with its code on a line of its own.
    await name.fill('alicia lamp');
    await page.getByTestId(`edit-save-${BULB}`).click();
    const refused = page.getByTestId(`edit-error-name-${BULB}`);
    await expect(refused).toContainText('“alicia lamp” is heard as “lamp”, which already means bedroom_lamp');
    await expect(refused.locator('.fcode')).toHaveText('DEVICE_NAME_TAKEN');
    await expect(name).toBeFocused();
    expect(renames).toHaveLength(1);
    await screenshots(page, 'devices-edit-refused', page.getByTestId(`device-${BULB}`));

    // A good edit: saved, the form closes (focus back on Edit), the card moves to its room.
    await name.fill('desk lamp');
    await page.getByTestId(`edit-room-${BULB}`).fill('study');
    await page.getByTestId(`edit-aliases-${BULB}`).fill('reading light');
    const moved = nextMessage(bus, `alicia/device/status/${BULB}`, (m) => (m as Status).room === 'study', 15_000);
    await page.getByTestId(`edit-save-${BULB}`).press('Enter');
    expect(await moved).toMatchObject({ name: 'desk lamp', room: 'study', aliases: ['reading light'] });
    await expect(page.getByTestId(`edit-form-${BULB}`)).toHaveCount(0);
    await expect(page.getByTestId(`edit-${BULB}`)).toBeFocused();
    await expect(roomOf(page, BULB)).toHaveText(/^study/);
    // the second light, typed "Study": one room, as the first one wrote it
    await page.getByTestId(`edit-${SHELF}`).click();
    await page.getByTestId(`edit-room-${SHELF}`).fill('Study');
    await page.getByTestId(`edit-save-${SHELF}`).click();
    await expect(roomOf(page, SHELF)).toHaveText(/^study\s*2/);
    expect(renames.at(-1)).toMatchObject({ device_id: SHELF, room: 'Study' });
    expect(renames.at(-1)).not.toHaveProperty('name'); // only what changed is sent
    await screenshots(page, 'devices-study', page.getByTestId(`device-${SHELF}`));

    // Voice follows the registry: the lights in the study, and only those, are switched on, each once.
    commands.length = 0;
    const result = await ask(rt, 'alicia/voice/command', {
      session_id: `e2e-study-${Date.now()}`,
      text: 'turn on the lights in the study',
      speak: false,
    });
    expect(result).toMatchObject({ ok: true, intent: { name: 'turn_on', slots: { room: 'study', count: 2 } } });
    expect(commands.sort((a, b) => a.device_id.localeCompare(b.device_id))).toEqual([
      { device_id: BULB, action: 'turn_on' },
      { device_id: SHELF, action: 'turn_on' },
    ]);
    expect(devices.map((d) => d.commands)).toEqual([[z2m.command_seen.payload], ['{"state":"ON"}'], []]);
    await expect(page.getByTestId(`summary-${BULB}`)).toHaveText(/^on/);
    await expect(page.getByTestId(`summary-${SHELF}`)).toHaveText(/^on/);

    // A restart of the device manager: the registry (SQLite) brings the names and rooms back.
    const svc = 'alicia/system/services/device-manager';
    // a new run: a new pid, or (in the shared service process, whose pid stays) a new thread
    const { pid, thread } = await nextMessage(bus, svc, (m) => m.state === 'running', 15_000);
    const back = nextMessage(bus, svc, (m) => m.state === 'running' && (m.pid !== pid || m.thread !== thread), 60_000);
    expect(await ask(rt, 'alicia/system/supervisor/request', { action: 'restart', service: 'device-manager' }, 60_000)).toMatchObject({
      ok: true,
    });
    await back;
    const list = (await ask(rt, 'alicia/device/registry/request', { action: 'list' })).devices as ({ device_id: string } & Status)[];
    expect(list.find((d) => d.device_id === BULB)).toMatchObject({ name: 'desk lamp', room: 'study', aliases: ['reading light'] });
    expect(list.find((d) => d.device_id === SHELF)).toMatchObject({ name: 'Shelf Light', room: 'study' });

    // The bulb announces itself again, renamed in Zigbee2MQTT: the user's name and room stay.
    const reannounced = nextMessage(bus, `alicia/device/status/${BULB}`, (m) => (m as Status).announced?.name === 'hall bulb', 15_000);
    await announce(rt, z2m, { ...z2m.config, device: { ...(z2m.config.device as object), name: 'hall bulb' } });
    expect(await reannounced).toMatchObject({ name: 'desk lamp', room: 'study' });
    await expect(page.getByTestId(`device-${BULB}`)).toContainText('desk lamp');
    await expect(roomOf(page, BULB)).toHaveText(/^study/);
    // and the edit form offers the device's own name back
    await page.getByTestId(`edit-${BULB}`).click();
    await expect(page.getByTestId(`edit-form-${BULB}`)).toContainText('The device calls itself “hall bulb”');
    await page.getByTestId(`edit-form-${BULB}`).press('Escape');
    await expect(page.getByTestId(`edit-form-${BULB}`)).toHaveCount(0);
    expect(commandTopic(z2m)).toBe(z2m.command_seen.topic);
    for (const d of devices) await d.stop();
  } finally {
    await bus.endAsync();
    for (const f of [z2m, esp, tasmota]) await forget(rt, f);
  }
});
