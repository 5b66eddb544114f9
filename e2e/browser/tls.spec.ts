import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { SERVICE_NAMES } from '../../services/lib/protocol/services.js';
import { collectErrors, openApp } from '../support/app.js';
import { ROOT as REPO_ROOT, startHost, type HostProcess } from '../support/host.js';

/**
 * The window off the loopback address: `alicia serve --host 127.0.0.2 --tls` (127.0.0.2 counts as
 * the network, so this machine can play the LAN) serves the page over HTTPS and the broker over
 * WSS, with the host's self-signed certificate. Chromium is told to accept it (a user compares the
 * fingerprint the host printed with the browser's warning, then proceeds). Its own host, services
 * off: the web server, the broker and the window are under test.
 */
const OUT = join(REPO_ROOT, 'test-results/screenshots');
mkdirSync(OUT, { recursive: true });

let host: HostProcess;
test.use({ ignoreHTTPSErrors: true });
test.beforeAll(async () => {
  host = await startHost({
    config: { services: Object.fromEntries(SERVICE_NAMES.map((n) => [n, { enabled: false }])) },
    args: ['--host', '127.0.0.2', '--tls'],
  });
});
test.afterAll(async () => {
  await host?.stop();
});

test('the page comes over HTTPS, connects over WSS and works; plain HTTP to its port gets nothing', async ({ page }) => {
  const rt = host.runtime;
  expect(rt.http.url).toMatch(/^https:\/\/127\.0\.0\.2:\d+\/\?token=/);
  expect(rt.ws.url).toMatch(/^wss:\/\//);
  const errors = collectErrors(page);
  await openApp(page, rt, 'health');
  const [cookie] = await page.context().cookies();
  expect(cookie).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Strict' });
  // the broker sees this window's WSS connection and tells it so over the same connection
  await expect(page.getByTestId('window-sessions').locator('tr[data-own="true"]')).toContainText('connected');
  await expect(page.getByTestId('window-tls-fingerprint')).toHaveText(rt.http.fingerprint256!);
  await page.screenshot({ path: join(OUT, 'health-tls.png') });
  expect(errors).toEqual([]);
  const port = new URL(rt.http.url).port;
  await expect(page.goto(`http://127.0.0.2:${port}/`)).rejects.toThrow(/ERR_/);
});
