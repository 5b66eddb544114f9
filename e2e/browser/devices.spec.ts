import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { openApp } from '../support/app.js';
import { ask, mosquittoPub, nextMessage, operatorClient } from '../support/bus.js';
import { runtimeFromEnv } from '../support/browser.js';

const rt = runtimeFromEnv();
const STATUS = 'alicia/device/status/kitchen_light';
type Status = { state?: { on?: boolean; brightness?: number } };

test('toggling the kitchen light in the UI changes alicia/device/status/kitchen_light', async ({ page }) => {
  const bus = await operatorClient(rt);
  try {
    const before = (await nextMessage(bus, STATUS, () => true, 20_000)) as Status;
    const wasOn = before.state?.on === true;
    await openApp(page, rt, 'devices');
    const card = page.getByTestId('device-kitchen_light');
    await expect(card).toBeVisible();
    const changed = nextMessage(bus, STATUS, (m) => (m as Status).state?.on === !wasOn, 15_000);
    await page.getByTestId('toggle-kitchen_light').click();
    await changed;
    await expect(page.getByTestId('summary-kitchen_light')).toHaveText(wasOn ? /^off/ : /^on/);
  } finally {
    await bus.endAsync();
  }
});

test('a state change sent on the bus updates the card', async ({ page }) => {
  await openApp(page, rt, 'devices');
  await expect(page.getByTestId('device-kitchen_light')).toBeVisible();
  // A real third-party client commands the device; the device manager publishes the new retained state.
  await mosquittoPub(
    rt,
    'alicia/device/command',
    JSON.stringify({ device_id: 'kitchen_light', action: 'set_brightness', params: { brightness: 37 } }),
  );
  await expect(page.getByTestId('summary-kitchen_light')).toHaveText('on · 37%');
  await expect(page.getByTestId('brightness-kitchen_light')).toHaveValue('37');
  await mosquittoPub(rt, 'alicia/device/command', JSON.stringify({ device_id: 'kitchen_light', action: 'turn_off' }));
  await expect(page.getByTestId('summary-kitchen_light')).toHaveText('off');
});

/** Undo what a test added: removed now, or already gone (the one refusal that means so). */
async function removeIfThere(
  pattern: 'alicia/device/registry/request' | 'alicia/system/credentials/request',
  body: Record<string, unknown>,
  goneCode: string,
): Promise<void> {
  const r = await ask(rt, pattern, body);
  const code = (r.error as { code?: string } | undefined)?.code;
  if (r.ok !== true && code !== goneCode) throw new Error(`cleanup ${JSON.stringify(body)} failed: ${JSON.stringify(r)}`);
}

/** Resolves when `topic` carries an empty payload (a removed device's retained status is cleared). */
function emptied(client: MqttClient, topic: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      client.off('message', on);
      reject(new Error(`${topic} was not cleared within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (tp: string, payload: Buffer) => {
      if (tp !== topic || payload.length !== 0) return;
      clearTimeout(t);
      client.off('message', on);
      resolve();
    };
    client.on('message', on);
    void client.subscribeAsync(topic, { qos: 1 });
  });
}

test('a device added through the form is controllable from its card and by voice, then removed', async ({ page }) => {
  const id = 'study_desk_lamp';
  const status = `alicia/device/status/${id}`;
  const bus = await operatorClient(rt);
  try {
    await openApp(page, rt, 'devices');
    await page.getByTestId('add-device-open').click();
    const form = page.getByTestId('add-device-form');

    // Validated in the form: nothing is sent while it is invalid.
    await page.getByTestId('add-device-submit').click();
    await expect(page.getByTestId('add-device-error-name')).toHaveText(/name/i);
    await page.getByTestId('add-device-name').fill('kitchen lamp');
    await expect(page.getByTestId('add-device-error-name')).toHaveText(/already means kitchen_light/);

    await page.getByTestId('add-device-name').fill('study desk lamp');
    await expect(page.getByTestId('add-device-id')).toHaveValue(id);
    await page.getByTestId('add-device-kind').selectOption('light');
    await page.getByTestId('add-device-room').fill('study');
    await page.getByTestId('add-device-aliases').fill('reading lamp');
    const announced = nextMessage(bus, status, (m) => (m as Status).state?.on === false, 15_000);
    await page.getByTestId('add-device-submit').click();
    await expect(page.getByTestId('add-device-result')).toContainText(`(${id})`);
    await announced;
    await expect(page.getByTestId(`device-${id}`)).toBeVisible();

    // The device manager refuses a second device with that id: its coded error is shown on the id field.
    await page.getByTestId('add-device-name').fill('second lamp');
    await page.getByTestId('add-device-id').fill(id);
    await page.getByTestId('add-device-submit').click();
    await expect(page.getByTestId('add-device-error-id')).toHaveText(/^DEVICE_EXISTS: /);
    await form.getByRole('button', { name: 'close the add device form' }).click();
    await expect(form).toHaveCount(0);

    // Controllable from its card: the toggle changes the retained status.
    const on = nextMessage(bus, status, (m) => (m as Status).state?.on === true, 15_000);
    await page.getByTestId(`toggle-${id}`).click();
    await on;
    await expect(page.getByTestId(`summary-${id}`)).toHaveText(/^on/);

    // Speakable: a voice command naming it by its alias reaches it (the ai service learns devices from their status).
    const off = nextMessage(bus, status, (m) => (m as Status).state?.on === false, 30_000);
    await mosquittoPub(
      rt,
      'alicia/voice/command',
      JSON.stringify({ session_id: 'e2e-new-device', text: 'turn off the reading lamp', speak: false }),
    );
    await off;
    await expect(page.getByTestId(`summary-${id}`)).toHaveText('off');

    // Removed, after a confirm step.
    await page.getByTestId(`remove-${id}`).click();
    const cleared = emptied(bus, status, 15_000);
    await page.getByTestId(`remove-confirm-${id}`).click();
    await cleared;
    await expect(page.getByTestId(`device-${id}`)).toHaveCount(0);
  } finally {
    await bus.endAsync();
    // gone even when the test failed half way, so it can run again on this host
    await removeIfThere('alicia/device/registry/request', { action: 'remove', device_id: id }, 'DEVICE_UNKNOWN');
  }
});

test('a device credential from the panel lets the device publish in its own tree until it is revoked', async ({ page }) => {
  const name = 'e2e_porch';
  const topic = `${name}/status`;
  const dataDir = process.env.ALICIA_E2E_DATA_DIR;
  if (!dataDir) throw new Error('ALICIA_E2E_DATA_DIR is not set: run the specs through e2e/browser/playwright.config.ts');
  const { hostname, port } = new URL(rt.mqtt.url);
  const bus = await operatorClient(rt);
  let device: MqttClient | null = null;
  try {
    await openApp(page, rt, 'devices');
    await page.getByTestId('device-credentials-open').click();
    await page.getByTestId('cred-name').fill('Porch Light');
    await page.getByTestId('cred-name').blur();
    await expect(page.getByTestId('cred-name-error')).toHaveText(/lower-case/);
    await page.getByTestId('cred-name').fill(name);
    await page.getByTestId('cred-create').click();
    await expect(page.getByTestId('cred-issued')).toBeVisible();
    await expect(page.getByTestId(`cred-row-${name}`)).toBeVisible();

    // The host wrote the password to a 0600 file in its data dir and the panel names it (the password never goes on the bus).
    const file = (await page.getByTestId('cred-password-file').textContent()) ?? '';
    expect(file).toBe(join(dataDir, 'device-credentials', `${name}.txt`));
    const password = /^password=(.+)$/m.exec(readFileSync(file, 'utf8'))?.[1];
    expect(password).toBeTruthy();

    // The example line names this host's real MQTT listener, announced on alicia/system/host (the test
    // host runs with --mqtt-port 0, so a guessed 1883 would be wrong), and works as pasted in a shell
    // (real mosquitto_pub), nothing typed in.
    expect(port).not.toBe('1883');
    await expect(page.getByTestId('cred-broker-source')).toHaveAttribute('data-source', 'host');
    await expect(page.getByLabel('broker host')).toHaveValue(hostname);
    await expect(page.getByLabel('broker port')).toHaveValue(port);
    const example = (await page.getByTestId('cred-example').textContent()) ?? '';
    expect(example).toContain(`mosquitto_pub -h ${hostname} -p ${port} -u device:${name} `);
    const sub = new Promise<string>((resolve) => {
      const on = (tp: string, payload: Buffer) => {
        if (tp !== topic) return;
        bus.off('message', on);
        resolve(payload.toString());
      };
      bus.on('message', on);
    });
    await bus.subscribeAsync(`${name}/#`, { qos: 1 });
    execFileSync('sh', ['-c', example], { timeout: 10_000 });
    expect(await sub).toBe('online');

    // mqtt.js as the device: publishing to its own topic is acknowledged and delivered.
    device = await mqtt.connectAsync(rt.mqtt.url, {
      username: `device:${name}`,
      password,
      protocolVersion: 4,
      clientId: `e2e-device-${name}`,
      reconnectPeriod: 0,
    });
    const got = new Promise<string>((resolve) => {
      const on = (tp: string, payload: Buffer) => {
        if (tp !== topic || payload.toString() !== 'ON') return;
        bus.off('message', on);
        resolve(payload.toString());
      };
      bus.on('message', on);
    });
    await device.publishAsync(topic, 'ON', { qos: 1 });
    expect(await got).toBe('ON');

    // Revoked from the panel (with a confirm step): the live connection is closed, a new one is refused.
    const closed = new Promise<void>((resolve) => device?.once('close', () => resolve()));
    await page.getByTestId(`cred-revoke-${name}`).click();
    await page.getByTestId(`cred-revoke-confirm-${name}`).click();
    await closed;
    await expect(page.getByTestId(`cred-row-${name}`)).toHaveCount(0);
    expect(existsSync(file)).toBe(false);
    await expect(
      mqtt.connectAsync(rt.mqtt.url, {
        username: `device:${name}`,
        password,
        protocolVersion: 4,
        clientId: `e2e-device-${name}-again`,
        reconnectPeriod: 0,
        connectTimeout: 5000,
      }),
    ).rejects.toThrow(/Bad username or password/i);
  } finally {
    device?.end(true);
    await bus.endAsync();
    // revoked even when the test failed half way, so it can run again on this host
    await removeIfThere('alicia/system/credentials/request', { action: 'remove_device', name }, 'DEVICE_UNKNOWN');
  }
});
