import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { Credentials } from '../../electron/host/broker/credentials.js';
import { startTestMosquitto, type TestMosquitto } from '../support/mosquitto.js';
import { SERVICE_NAMES } from '../../services/lib/protocol/services.js';
import { collectErrors, openApp } from '../support/app.js';
import { ROOT as REPO_ROOT, startHost, type HostProcess } from '../support/host.js';

/**
 * The window on the user's own broker: `alicia serve --broker` against Debian's Mosquitto
 * (configured by `alicia broker-config`, stopped and started by its pid). The window works through
 * the host's proxy; Health and Services say which broker it is and, after the broker was away,
 * when it was lost and back.
 */
const OUT = join(REPO_ROOT, 'test-results/screenshots');
mkdirSync(OUT, { recursive: true });
const dataDir = mkdtempSync(join(tmpdir(), 'alicia-ext-window-'));

let mosq: TestMosquitto;
let host: HostProcess;
test.beforeAll(async () => {
  await Credentials.loadOrCreate(dataDir);
  mosq = await startTestMosquitto(dataDir);
  host = await startHost({ dataDir, args: ['--broker', mosq.url] });
});
test.afterAll(async () => {
  await host?.stop({ keep: true });
  await mosq?.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

test('Health and Services name the broker; after it was away the window is back and says when', async ({ page }) => {
  test.setTimeout(120_000);
  const errors = collectErrors(page);
  await openApp(page, host.runtime, 'health');
  const note = page.getByTestId('broker-note');
  await expect(note).toContainText(`On your own broker ${mosq.url}`);
  await expect(note).toContainText("through the host's proxy");
  await expect(note).toContainText('stats ($SYS/alicia/broker/stats) are absent');
  await page.screenshot({ path: join(OUT, 'health-external-broker.png') });

  await mosq.stop();
  await new Promise((r) => setTimeout(r, 3000));
  await mosq.start();
  await page.locator('[data-testid="connection"][data-status="connected"]').waitFor({ timeout: 30_000 });
  await page.getByTestId('nav-services').click();
  await expect(page.getByTestId('broker-outage')).toContainText('Broker connection lost at', { timeout: 60_000 });
  for (const name of SERVICE_NAMES) await expect(page.getByTestId(`state-${name}`)).toHaveText('running', { timeout: 60_000 });
  await page.screenshot({ path: join(OUT, 'services-external-broker-outage.png') });
  // the proxy closes the window's connection with the broker's: the window's reconnect is not an error
  expect(errors.filter((e) => !/WebSocket|connection/i.test(e))).toEqual([]);
});
