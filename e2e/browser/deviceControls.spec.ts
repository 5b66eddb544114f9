import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import type { Locator } from '@playwright/test';
import type { MqttClient } from 'mqtt';
import { openApp } from '../support/app.js';
import { ask, mosquittoPub, nextMessage, operatorClient } from '../support/bus.js';
import { runtimeFromEnv } from '../support/browser.js';
import { adoptedId, announce, echoDevice, forget, haFixture, stateTopic } from '../support/haDevices.js';
import { screenshots } from '../support/screens.js';

/**
 * The level controls and states of the device cards, driven from the keyboard the way a person
 * without a mouse does, against the real host: the slider keeps its focus while its value travels,
 * the keys move it by 1, 10 and to the ends, and a run of key presses is sent as few commands
 * (counted on the bus and at the device itself). Adopted devices are announced with Debian's
 * mosquitto_pub from real discovery payloads, and a stand-in device answers on its state topic.
 */

const rt = runtimeFromEnv();
/** The alicia/device/command messages for `deviceId` the operator sees from now on. */
async function commandsTo(bus: MqttClient, deviceId: string): Promise<{ action: string; params: Record<string, unknown> }[]> {
  const seen: { action: string; params: Record<string, unknown> }[] = [];
  bus.on('message', (topic, payload) => {
    if (topic !== 'alicia/device/command') return;
    const m = JSON.parse(payload.toString()) as { device_id?: string; action: string; params?: Record<string, unknown> };
    if (m.device_id === deviceId) seen.push({ action: m.action, params: m.params ?? {} });
  });
  await bus.subscribeAsync('alicia/device/command', { qos: 1 });
  return seen;
}

const focused = (l: Locator) => l.evaluate((el) => el === document.activeElement);

test('the brightness slider keeps the keyboard focus while its value travels; arrows, Page keys and Home/End; few commands', async ({
  page,
}) => {
  const z2m = haFixture('Zigbee2MQTT');
  const id = adoptedId(z2m);
  const bus = await operatorClient(rt);
  try {
    // the bulb is on at full brightness (its own retained report, brightness 0-254)
    await announce(rt, z2m);
    await mosquittoPub(rt, stateTopic(z2m)!, JSON.stringify({ state: 'ON', brightness: 254 }), { retain: true });
    const device = await echoDevice(bus, z2m);
    const commands = await commandsTo(bus, id);
    await openApp(page, rt, 'devices');
    const slider = page.getByTestId(`brightness-${id}`);
    await expect(slider).toHaveValue('100');

    // The device answers nothing yet: whatever is sent stays in flight.
    device.hold();
    await slider.focus();
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowLeft');
    await expect(slider).toHaveValue('95');
    await expect.poll(() => device.commands.length).toBe(1);
    expect(JSON.parse(device.commands[0]!)).toEqual({ state: 'ON', brightness: Math.round((95 * 254) / 100) });
    // in flight: the card says so, and the slider is still enabled, focused and moving
    await expect(page.getByTestId(`device-${id}`)).toContainText('set brightness…');
    await expect(slider).toBeEnabled();
    expect(await focused(slider)).toBe(true);
    await page.keyboard.press('PageDown');
    await page.keyboard.press('PageDown');
    await expect(slider).toHaveValue('75');
    expect(await focused(slider)).toBe(true);
    await screenshots(page, 'devices-slider-in-flight', page.getByTestId(`device-${id}`));

    // The device answers: the value that waited follows as one more command, and the card settles on it.
    await device.release();
    await expect(page.getByTestId(`summary-${id}`)).toHaveText('on · 75%');
    await expect(slider).toHaveValue('75');
    expect(device.commands.map((c) => (JSON.parse(c) as { brightness: number }).brightness)).toEqual([241, 191]);
    expect(commands.map((c) => c.params.brightness)).toEqual([95, 75]);
    expect(await focused(slider)).toBe(true);

    // End then Home: the ends, and only the last is sent (0 % is off)
    await page.keyboard.press('End');
    await expect(slider).toHaveValue('100');
    await page.keyboard.press('Home');
    await expect(slider).toHaveValue('0');
    await expect(page.getByTestId(`summary-${id}`)).toHaveText('off');
    expect(commands.slice(2)).toEqual([{ action: 'set_brightness', params: { brightness: 0 } }]);
    expect(await focused(slider)).toBe(true);
    await device.stop();
  } finally {
    await bus.endAsync();
    await forget(rt, z2m);
  }
});

test('dragging the brightness slider sends few commands, the last one the value where the pointer let go', async ({ page }) => {
  const bus = await operatorClient(rt);
  const commands = await commandsTo(bus, 'living_room_light');
  try {
    await ask(rt, 'alicia/device/command', { device_id: 'living_room_light', action: 'set_brightness', params: { brightness: 10 } });
    await openApp(page, rt, 'devices');
    const slider = page.getByTestId('brightness-living_room_light');
    await expect(slider).toHaveValue('10');
    commands.length = 0;
    const box = (await slider.boundingBox())!;
    const y = box.y + box.height / 2;
    // from the thumb at 10 % to the right end, in 40 pointer moves (40 input events)
    await page.mouse.move(box.x + box.width * 0.1, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.85, y, { steps: 40 });
    await page.mouse.up();
    const final = Number(await slider.inputValue());
    expect(final).toBeGreaterThan(70);
    await nextMessage(
      bus,
      'alicia/device/status/living_room_light',
      (m) => (m.state as { brightness?: number }).brightness === final,
      15_000,
    );
    await expect(page.getByTestId('summary-living_room_light')).toHaveText(`on · ${final}%`);
    // the drag's values reached the bus as one or two commands (one may leave while the pointer still moves), never one per move
    expect(commands.length).toBeGreaterThanOrEqual(1);
    expect(commands.length).toBeLessThanOrEqual(2);
    expect(commands.at(-1)).toEqual({ action: 'set_brightness', params: { brightness: final } });
  } finally {
    await bus.endAsync();
    await ask(rt, 'alicia/device/command', { device_id: 'living_room_light', action: 'turn_off' });
  }
});

test('the volume slider and the thermostat setpoint: keyboard steps, focus kept, a run of keys is one command', async ({ page }) => {
  const bus = await operatorClient(rt);
  const speaker = await commandsTo(bus, 'kitchen_speaker');
  const thermostat = await commandsTo(bus, 'thermostat');
  const before = await ask(rt, 'alicia/device/registry/request', { action: 'list' });
  const statusOf = (id: string) =>
    (before.devices as { device_id: string; state: Record<string, number> }[]).find((d) => d.device_id === id)!;
  const volume0 = statusOf('kitchen_speaker').state.volume!;
  const target0 = statusOf('thermostat').state.target!;
  try {
    // from a known volume, set by a third-party client
    await mosquittoPub(
      rt,
      'alicia/device/command',
      JSON.stringify({ device_id: 'kitchen_speaker', action: 'set_volume', params: { volume: 40 } }),
    );
    await openApp(page, rt, 'devices');
    const volume = page.getByTestId('volume-kitchen_speaker');
    await expect(volume).toHaveValue('40');
    speaker.length = 0;
    await volume.focus();
    for (const key of ['ArrowRight', 'ArrowRight', 'ArrowRight', 'PageUp', 'PageUp', 'ArrowLeft']) await page.keyboard.press(key);
    await expect(volume).toHaveValue('62');
    await expect(page.getByTestId('summary-kitchen_speaker')).toBeVisible();
    await nextMessage(bus, 'alicia/device/status/kitchen_speaker', (m) => (m.state as { volume?: number }).volume === 62, 15_000);
    expect(await focused(volume)).toBe(true);
    // six key presses, sent when the user paused: one command (two if the machine stalled between presses)
    expect(speaker.length).toBeGreaterThanOrEqual(1);
    expect(speaker.length).toBeLessThanOrEqual(2);
    expect(speaker.at(-1)).toEqual({ action: 'set_volume', params: { volume: 62 } });

    // the setpoint is a spin button: Up/Down by the thermostat's 0.5 °C step, Page keys by ten steps
    const setpoint = page.getByTestId('target-thermostat');
    await setpoint.focus();
    await page.keyboard.press('Home');
    await expect(setpoint).toHaveText('5.0°');
    for (const key of ['PageUp', 'PageUp', 'PageUp', 'ArrowUp', 'ArrowUp', 'ArrowDown']) await page.keyboard.press(key);
    await expect(setpoint).toHaveText('20.5°');
    await expect(setpoint).toHaveAttribute('aria-valuenow', '20.5');
    await nextMessage(bus, 'alicia/device/status/thermostat', (m) => (m.state as { target?: number }).target === 20.5, 15_000);
    expect(await focused(setpoint)).toBe(true);
    expect(thermostat.length).toBeLessThanOrEqual(2);
    expect(thermostat.at(-1)).toEqual({ action: 'set_temperature', params: { target: 20.5 } });
    // the + button: clicks in a row are one command too, and the button keeps the focus
    thermostat.length = 0;
    const up = page.getByTestId('setpoint-up-thermostat');
    await up.click();
    await up.click();
    await expect(setpoint).toHaveText('21.5°');
    await nextMessage(bus, 'alicia/device/status/thermostat', (m) => (m.state as { target?: number }).target === 21.5, 15_000);
    expect(await focused(up)).toBe(true);
    expect(thermostat).toHaveLength(1);
    await screenshots(page, 'devices-setpoint', page.getByTestId('device-thermostat'));
  } finally {
    await bus.endAsync();
    await ask(rt, 'alicia/device/command', { device_id: 'kitchen_speaker', action: 'set_volume', params: { volume: volume0 } });
    await ask(rt, 'alicia/device/command', { device_id: 'thermostat', action: 'set_temperature', params: { target: target0 } });
  }
});

test('an unlocked door stands out: warning colour, an open padlock and the word; locked reads as locked', async ({ page }) => {
  try {
    await ask(rt, 'alicia/device/command', { device_id: 'front_door', action: 'unlock' });
    await openApp(page, rt, 'devices');
    const card = page.getByTestId('device-front_door');
    const badge = page.getByTestId('summary-front_door');
    await expect(badge).toHaveText('unlocked');
    await expect(badge).toHaveAttribute('data-tone', 'warn');
    await expect(badge.locator('svg')).toHaveCount(1);
    await expect(card).toHaveClass(/\bunlocked\b/);
    // the warning colour is not the neutral grey of a badge with nothing to say
    const colours = await page.evaluate(() => {
      const b = document.querySelector('[data-testid="summary-front_door"]')!;
      const probe = document.createElement('span');
      probe.className = 'badge muted';
      document.body.append(probe);
      const grey = getComputedStyle(probe).color;
      probe.remove();
      return { badge: getComputedStyle(b).color, grey };
    });
    expect(colours.badge).not.toBe(colours.grey);
    await screenshots(page, 'devices-unlocked', card);

    await page.getByTestId('toggle-front_door').click();
    await expect(badge).toHaveText('locked');
    await expect(badge).toHaveAttribute('data-tone', 'ok');
    await expect(card).not.toHaveClass(/\bunlocked\b/);
  } finally {
    await ask(rt, 'alicia/device/command', { device_id: 'front_door', action: 'lock' });
  }
});

test('a DEVICE_TIMEOUT leaves the card when the device’s state arrives after all', async ({ page }) => {
  const tasmota = haFixture('Tasmota');
  const id = adoptedId(tasmota);
  try {
    await announce(rt, tasmota);
    await openApp(page, rt, 'devices');
    await expect(page.getByTestId(`summary-${id}`)).toHaveText('off');
    // nothing answers on its state topic: the command ends in DEVICE_TIMEOUT, said in words with the code
    await page.getByTestId(`toggle-${id}`).click();
    const error = page.getByTestId(`device-error-${id}`);
    await expect(error).toContainText('did not report its state');
    await expect(error).toContainText('DEVICE_TIMEOUT');
    await screenshots(page, 'devices-timeout', page.getByTestId(`device-${id}`));
    // the plug reports after all (Tasmota's POWER state): the card follows and the stale failure goes
    await mosquittoPub(rt, stateTopic(tasmota)!, 'ON');
    await expect(page.getByTestId(`summary-${id}`)).toHaveText('on');
    await expect(error).toHaveCount(0);
    await expect(page.getByTestId(`device-${id}`)).toContainText('updated');
  } finally {
    await forget(rt, tasmota);
  }
});

test('the Devices view has no serious or critical axe violations in either theme, with an unlocked door, a failure and an open edit form', async ({
  page,
}) => {
  const tasmota = haFixture('Tasmota');
  const id = adoptedId(tasmota);
  try {
    await announce(rt, tasmota);
    await ask(rt, 'alicia/device/command', { device_id: 'front_door', action: 'unlock' });
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      await openApp(page, rt, 'devices');
      await expect(page.locator('html')).toHaveAttribute('data-theme', colorScheme);
      await expect(page.getByTestId('summary-front_door')).toHaveText('unlocked');
      // a failure on a card (nothing answers the plug) and the edit form of another card
      await page.getByTestId(`toggle-${id}`).click();
      await expect(page.getByTestId(`device-error-${id}`)).toContainText('DEVICE_TIMEOUT');
      await page.getByTestId('edit-bedroom_lamp').click();
      await expect(page.getByTestId('edit-form-bedroom_lamp')).toBeVisible();

      // the unlocked badge is checked for contrast on its own: it passes, not merely "not found"
      const badge = await new AxeBuilder({ page }).include('[data-testid="summary-front_door"]').withRules(['color-contrast']).analyze();
      expect(badge.violations, colorScheme).toEqual([]);
      expect(badge.passes.map((r) => r.id)).toContain('color-contrast');

      const all = await new AxeBuilder({ page }).include('main').analyze();
      const serious = all.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      expect(serious, colorScheme).toEqual([]);
      await screenshots(page, `devices-axe-${colorScheme}`, page.getByTestId('device-front_door'));
    }
  } finally {
    await ask(rt, 'alicia/device/command', { device_id: 'front_door', action: 'lock' });
    await forget(rt, tasmota);
  }
});
