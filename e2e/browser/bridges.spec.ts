import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { startUpstreamMosquitto, type UpstreamMosquitto } from '../support/upstreamMosquitto.js';
import { SERVICE_NAMES } from '../../services/lib/protocol/services.js';
import { collectErrors, openApp } from '../support/app.js';
import { startHost, type HostProcess } from '../support/host.js';
import { SCREEN_SIZES, SCREENSHOTS, screenshots } from '../support/screens.js';

/**
 * The Health view's Bridges panel against a host with a bridge to a real Debian Mosquitto: what a
 * person sees while it is connected, after their broker went away (reconnecting, and why), and
 * once it is back. Its own host, services off: the bridge and the window are under test.
 */
/** The whole page at each size, and the panel itself at the narrowest (it sits below the fold there). */
async function panelShots(page: Page, name: string): Promise<void> {
  await screenshots(page, name);
  const narrow = SCREEN_SIZES[SCREEN_SIZES.length - 1]!;
  const before = page.viewportSize();
  await page.setViewportSize(narrow);
  await page.getByTestId('bridges').screenshot({ path: join(SCREENSHOTS, `${name}-panel-${narrow.width}x${narrow.height}.png`) });
  if (before) await page.setViewportSize(before);
}

let upstream: UpstreamMosquitto;
let host: HostProcess;
test.beforeAll(async () => {
  upstream = await startUpstreamMosquitto();
  host = await startHost({
    config: {
      services: Object.fromEntries(SERVICE_NAMES.map((n) => [n, { enabled: false }])),
      broker: {
        bridges: [
          {
            name: 'home',
            url: upstream.url,
            username: upstream.bridgeUser.username,
            password: upstream.bridgeUser.password,
            reconnect: { initial_ms: 200, max_ms: 1000 },
          },
        ],
      },
    },
  });
});
test.afterAll(async () => {
  await host?.stop();
  await upstream?.stop();
});

test('the Health view shows the bridge, its counters, and its upstream broker going away and coming back', async ({ page }) => {
  const errors = collectErrors(page);
  await openApp(page, host.runtime, 'health');
  const row = page.getByTestId('bridge-home');
  await expect(page.getByTestId('bridge-state-home')).toHaveText('connected');
  await expect(row).toContainText(upstream.url);
  await panelShots(page, 'health-bridge-connected');

  await upstream.kill();
  await expect(page.getByTestId('bridge-state-home')).toHaveText('reconnecting');
  await expect(row).toContainText('retry in');
  await panelShots(page, 'health-bridge-reconnecting');

  await upstream.start();
  await expect(page.getByTestId('bridge-state-home')).toHaveText('connected', { timeout: 15_000 });
  // the reconnect is counted (the Reconnects column)
  await expect(row.locator('td').nth(7)).toHaveText('1');
  expect(errors).toEqual([]);
});
