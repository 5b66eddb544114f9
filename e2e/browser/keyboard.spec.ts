import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import { openApp } from '../support/app.js';
import { ask } from '../support/bus.js';
import { runtimeFromEnv } from '../support/browser.js';

/** The window from the keyboard alone: the `?` overlay, the view tabs, a service's log. */

const rt = runtimeFromEnv();

test('? opens the shortcuts overlay (every shortcut listed, focus inside, Escape closes and gives the focus back)', async ({ page }) => {
  await openApp(page, rt, 'services');
  const help = page.getByTestId('shortcuts-button');
  await help.focus();
  await page.keyboard.press('?');
  const overlay = page.getByTestId('shortcuts-overlay');
  await expect(overlay.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible();
  // one entry per key the window answers to (renderer/src/model/shortcuts.ts)
  await expect(overlay.locator('[data-shortcut]')).toHaveCount(5);
  await expect(overlay.locator('[data-shortcut="view"] kbd')).toHaveText(['1', '2', '3', '4', '5', '6']);
  for (const [id, key] of [
    ['filter', '/'],
    ['theme', 't'],
    ['help', '?'],
    ['close', 'Esc'],
  ] as const)
    await expect(overlay.locator(`[data-shortcut="${id}"] kbd`)).toHaveText(key);
  await expect(page.getByTestId('shortcuts-close')).toBeFocused();
  // modal: a view shortcut does nothing while it is open, Tab stays inside
  await page.keyboard.press('2');
  await expect(page.locator('main')).toHaveAttribute('data-view', 'services');
  await page.keyboard.press('Tab');
  await expect(page.getByTestId('shortcuts-close')).toBeFocused();
  const axe = await new AxeBuilder({ page }).include('[data-testid="shortcuts-overlay"]').analyze();
  expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);
  await page.keyboard.press('Escape');
  await expect(overlay).toHaveCount(0);
  await expect(help).toBeFocused();
  // the button opens it too, and Enter on Close closes it
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('shortcuts-close')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(overlay).toHaveCount(0);
});

test('the view tabs are one tab stop: arrows, Home and End switch the view', async ({ page }) => {
  await openApp(page, rt, 'services');
  await page.getByTestId('nav-services').focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.locator('main')).toHaveAttribute('data-view', 'topics');
  await expect(page.getByTestId('nav-topics')).toBeFocused();
  await page.keyboard.press('End');
  await expect(page.locator('main')).toHaveAttribute('data-view', 'voice');
  await page.keyboard.press('ArrowRight');
  await expect(page.locator('main')).toHaveAttribute('data-view', 'services');
  await page.keyboard.press('ArrowLeft');
  await expect(page.locator('main')).toHaveAttribute('data-view', 'voice');
  await page.keyboard.press('Home');
  await expect(page.locator('main')).toHaveAttribute('data-view', 'services');
  // only the chosen tab is in the Tab order
  await expect(page.getByRole('tab', { selected: true })).toHaveAttribute('tabindex', '0');
  await expect(page.locator('[role="tab"][tabindex="0"]')).toHaveCount(1);
});

test("a service's log from the keyboard: choose it, search, filter by level", async ({ page }) => {
  await openApp(page, rt, 'services');
  await expect(page.getByTestId('state-tts')).toHaveText('running', { timeout: 60_000 });
  await page.getByTestId('service-tts').locator('.link-button').focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('#log-title')).toContainText('tts');
  await page.getByTestId('log-search').focus();
  await page.keyboard.type('ready (pid');
  await expect(page.getByTestId('log-count')).toContainText(/of \d+ lines/);
  await page.keyboard.press('Tab');
  await expect(page.getByTestId('log-level')).toBeFocused();
  await page.keyboard.press('End');
  await expect(page.getByTestId('log-level')).toHaveValue('error');
  await expect(page.getByTestId('log-count')).toContainText(/^0 of \d+ lines/);
});

test('a voice session opens from the keyboard: Tab to a row, Enter shows its trace', async ({ page }) => {
  await openApp(page, rt, 'traces');
  const text = 'is the kitchen light on';
  expect(await ask(rt, 'alicia/voice/command', { session_id: `e2e-keys-${Date.now()}`, text, speak: false })).toMatchObject({ ok: true });
  const row = page.getByTestId('session-row').filter({ hasText: text }).first();
  await expect(row).toBeVisible();
  await row.focus();
  await page.keyboard.press('Enter');
  await expect(row).toHaveAttribute('aria-current', 'true');
  await expect(page.getByTestId('waterfall')).toBeVisible();
});
