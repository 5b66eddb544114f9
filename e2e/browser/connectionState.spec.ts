import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import type { WebSocketRoute } from '@playwright/test';
import { openApp } from '../support/app.js';
import { ask } from '../support/bus.js';
import { runtimeFromEnv } from '../support/browser.js';
import { ROOT as REPO_ROOT } from '../support/host.js';

/**
 * The window without its bus: its WebSocket to the broker is cut (and every new one refused) while
 * the host keeps running, as a host that went away looks to the window. A banner says so, the views
 * grey what they show as the last known state with their controls off, a request in flight fails at
 * once; back again, the outage's errors go and the retained state is read again (a service stopped
 * meanwhile shows stopped).
 */

const rt = runtimeFromEnv();
const OUT = join(REPO_ROOT, 'test-results/screenshots');
mkdirSync(OUT, { recursive: true });
// A service nothing else in these specs needs while it is down.
const SERVICE = 'discovery';
const LIGHT = 'kitchen_light';

test.afterEach(async () => {
  expect(await ask(rt, 'alicia/system/supervisor/request', { action: 'start', service: SERVICE }, 30_000)).toMatchObject({
    ok: true,
    state: 'running',
  });
});

test('bus gone: banner, last known state greyed, controls off; back: errors cleared, retained state read again', async ({ page }) => {
  let down = false;
  // what the window sends is dropped (a request then waits for an answer that cannot come)
  let swallow = false;
  const open: { page: WebSocketRoute; server: WebSocketRoute }[] = [];
  await page.routeWebSocket(/.*/, (ws) => {
    if (down) {
      void ws.close();
      return;
    }
    const server = ws.connectToServer();
    ws.onMessage((m) => {
      if (!swallow) server.send(m);
    });
    open.push({ page: ws, server });
  });

  await page.setViewportSize({ width: 1366, height: 800 });
  await openApp(page, rt, 'devices');
  const toggle = page.getByTestId(`toggle-${LIGHT}`);
  await expect(toggle).toBeEnabled();

  // a command in flight when the bus goes: it fails at once, not at its timeout
  swallow = true;
  await toggle.click();
  down = true;
  for (const c of open.splice(0)) {
    await c.server.close();
    await c.page.close();
  }
  const banner = page.getByTestId('connection-banner');
  await expect(banner).toHaveAttribute('data-state', 'lost');
  await expect(banner).toContainText('last known state');
  await expect(page.getByTestId(`device-error-${LIGHT}`)).toContainText('NOT_CONNECTED');
  // the devices: greyed, marked, every control off
  await expect(page.getByTestId('scope-Devices')).toHaveAttribute('data-stale', 'true');
  await expect(page.getByTestId('stale-note')).toContainText('last known');
  await expect(toggle).toBeDisabled();
  await page.screenshot({ path: join(OUT, 'connection-lost-devices-1366.png') });

  // the services: the state greyed as last known, no action possible
  await page.getByTestId('nav-services').click();
  await expect(page.getByTestId('services-stale')).toContainText('last known');
  await expect(page.getByTestId(`state-${SERVICE}`)).toHaveText('running');
  for (const a of ['start', 'stop', 'restart']) await expect(page.getByTestId(`${a}-${SERVICE}`)).toBeDisabled();
  // retries are counted while it stays away
  await expect(banner).toContainText(/attempt [1-9]/, { timeout: 10_000 });
  await page.setViewportSize({ width: 900, height: 700 });
  await page.screenshot({ path: join(OUT, 'connection-lost-services-900.png') });

  // meanwhile on the bus: the service is stopped; the window cannot know yet
  expect(await ask(rt, 'alicia/system/supervisor/request', { action: 'stop', service: SERVICE }, 30_000)).toMatchObject({ ok: true });
  await expect(page.getByTestId(`state-${SERVICE}`)).toHaveText('running');

  // back: current again
  swallow = false;
  down = false;
  await expect(page.getByTestId('connection')).toHaveAttribute('data-status', 'connected', { timeout: 15_000 });
  await expect(banner).toHaveCount(0, { timeout: 15_000 });
  await expect(page.getByTestId('services-stale')).toHaveCount(0);
  await expect(page.getByTestId(`state-${SERVICE}`)).toHaveText('stopped');
  await expect(page.getByTestId(`start-${SERVICE}`)).toBeEnabled();
  await page.getByTestId('nav-devices').click();
  await expect(page.getByTestId(`device-error-${LIGHT}`)).toHaveCount(0);
  await expect(page.getByTestId('stale-note')).toHaveCount(0);
  await expect(toggle).toBeEnabled();
});
