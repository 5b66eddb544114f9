import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { collectErrors, openApp } from '../support/app.js';
import { runtimeFromEnv } from '../support/browser.js';
import { ROOT as REPO_ROOT } from '../support/host.js';

/**
 * Signing in with the login link, the window's own session in the Health view, ending another
 * window's session from there, and signing out: what a person sees in Chromium against the real
 * headless host (docs/security.md, "Window sessions").
 */
const rt = runtimeFromEnv();
const BASE = new URL('/', rt.http.url).toString();
const OUT = join(REPO_ROOT, 'test-results/screenshots');
mkdirSync(OUT, { recursive: true });

test('without the link the browser gets the sign-in page; the link signs it in, with a clean URL and a locked-down cookie', async ({
  page,
}) => {
  const r = await page.goto(`${BASE}#/health`);
  expect(r?.status()).toBe(401);
  await expect(page.getByText('Open the link printed by')).toBeVisible();
  await expect(page.locator('code', { hasText: 'http.url' })).toBeVisible();
  // the page follows the system's light or dark setting
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: join(OUT, `sign-in-${scheme}.png`) });
  }
  await page.emulateMedia({ colorScheme: 'light' });
  const errors = collectErrors(page);
  await openApp(page, rt, 'health');
  // the token is gone from the address bar (and so from the history), the view's #fragment stayed
  expect(page.url()).toBe(`${BASE}#/health`);
  const [cookie, ...others] = await page.context().cookies();
  expect(others).toEqual([]);
  expect(cookie).toMatchObject({
    name: `alicia_session_${new URL(BASE).port}`,
    httpOnly: true,
    sameSite: 'Strict',
    secure: false,
    path: '/',
  });
  // page scripts cannot read it
  expect(await page.evaluate(() => document.cookie)).toBe('');
  expect(errors).toEqual([]);
});

test('the Health view lists this window and the others; ending one signs that window out', async ({ page, browser }) => {
  const errors = collectErrors(page);
  await openApp(page, rt, 'health');
  const panel = page.getByTestId('window-sessions');
  const own = panel.locator('tr[data-own="true"]');
  await expect(own).toContainText('this window');
  await expect(own).toContainText('connected');
  await expect(own.getByRole('button', { name: 'End' })).toHaveCount(0);

  // a second browser (its own cookie jar) signs in
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  try {
    await openApp(otherPage, rt, 'health');
    const otherId = await otherPage.evaluate(async () => {
      const r = await fetch('/api/connection');
      return ((await r.json()) as { session_id: string }).session_id;
    });
    const otherRow = panel.getByTestId(`window-session-${otherId}`);
    await expect(otherRow).toContainText('connected');
    await expect(otherRow).not.toContainText('this window');
    await expect(otherPage.getByTestId(`window-session-${otherId}`)).toContainText('this window');

    for (const theme of ['light', 'dark'] as const) {
      await page.evaluate((t) => document.documentElement.setAttribute('data-theme', t), theme);
      await panel.scrollIntoViewIfNeeded();
      await panel.screenshot({ path: join(OUT, `window-sessions-${theme}.png`) });
    }

    // End it: that window finds its credential refused, asks the host again, gets 401, and says how to get back in
    await otherRow.getByRole('button', { name: 'End' }).click();
    await expect(otherRow).toHaveCount(0);
    await expect(otherPage.getByTestId('signed-out')).toContainText('This window is signed out');
    await expect(otherPage.getByTestId('signed-out')).toContainText('Open the link printed by alicia serve');
    await otherPage.screenshot({ path: join(OUT, 'signed-out-ended.png') });
    // its cookie opens nothing any more
    expect((await otherPage.goto(BASE))?.status()).toBe(401);
  } finally {
    await other.close();
  }
  expect(errors).toEqual([]);
});

test('"Sign out" ends this browser\'s session: the window says so, and a reload shows the sign-in page', async ({ page }) => {
  await openApp(page, rt, 'services');
  const sessionId = await page.evaluate(async () => ((await (await fetch('/api/connection')).json()) as { session_id: string }).session_id);
  await page.getByTestId('sign-out').click();
  await expect(page.getByTestId('signed-out')).toContainText('You signed out');
  expect(await page.context().cookies()).toEqual([]);
  expect(await page.evaluate(async () => (await fetch('/api/connection')).status)).toBe(401);
  await page.reload();
  await expect(page.getByText('Open the link printed by')).toBeVisible();
  // and the session is gone from every Health view
  const other = await page.context().browser()!.newContext();
  try {
    const p = await other.newPage();
    await openApp(p, rt, 'health');
    await expect(p.getByTestId('window-sessions').locator('tr[data-own="true"]')).toHaveCount(1);
    await expect(p.getByTestId(`window-session-${sessionId}`)).toHaveCount(0);
  } finally {
    await other.close();
  }
});
