import { expect, test } from '@playwright/test';
import { openApp } from './fixtures/app.js';
import { mosquittoPub, nextMessage, operatorClient } from './fixtures/bus.js';
import { runtimeFromEnv } from './fixtures/host.js';

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
