import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { SERVICE_NAMES } from '../../services/lib/protocol/services.js';
import { openApp } from '../support/app.js';
import type { ViewName } from '../support/app.js';
import { ask } from '../support/bus.js';
import { runtimeFromEnv } from '../support/browser.js';
import { ROOT as REPO_ROOT } from '../support/host.js';
import { layoutProblems } from '../support/layoutCheck.js';

/**
 * Every view fits every window from 800 px wide up: no sideways page scroll, no overlapping boxes,
 * nothing spilling out of its box (e2e/support/layoutCheck.ts says what is measured), with the
 * view's data loaded. Screenshots of each: test-results/screenshots/layout-<view>-<width>.png.
 */

const rt = runtimeFromEnv();
const OUT = join(REPO_ROOT, 'test-results/screenshots');
mkdirSync(OUT, { recursive: true });

const SIZES = [
  { width: 800, height: 700 },
  { width: 900, height: 700 },
  { width: 1100, height: 800 },
  { width: 1366, height: 800 },
];
const VIEWS: ViewName[] = ['services', 'topics', 'traces', 'health', 'devices', 'voice'];

/** Each view with the data it shows in daily use, so its real content is what gets measured. */
const LOADED: Record<ViewName, (page: Page) => Promise<void>> = {
  services: async (page) => {
    for (const name of SERVICE_NAMES) await expect(page.getByTestId(`state-${name}`)).toHaveText('running', { timeout: 60_000 });
    await expect(page.getByTestId('log-run').first()).toBeVisible();
  },
  topics: async (page) => {
    const first = page.locator('.trow').first();
    await expect(first).toBeVisible();
    await first.click();
  },
  traces: async (page) => {
    const text = 'is the kitchen light on';
    const result = await ask(rt, 'alicia/voice/command', { session_id: `e2e-layout-${Date.now()}`, text, speak: false });
    expect(result).toMatchObject({ ok: true });
    const row = page.getByTestId('session-row').filter({ hasText: text }).first();
    await expect(row).toBeVisible();
    await row.click();
    await expect(page.getByTestId('waterfall')).toBeVisible();
  },
  health: async (page) => {
    await expect(page.getByTestId('overall')).not.toHaveText('no report yet');
    await expect(page.getByTestId('broker-stats')).toBeVisible();
    await expect(page.getByTestId('window-sessions').locator('tbody tr').first()).toBeVisible();
  },
  devices: async (page) => {
    await expect(page.getByTestId('device-kitchen_light')).toBeVisible();
  },
  voice: async (page) => {
    await expect(page.getByTestId('typed-command')).toBeVisible();
  },
};

for (const size of SIZES) {
  for (const view of VIEWS) {
    test(`${view} fits a ${size.width}x${size.height} window`, async ({ page }) => {
      await page.setViewportSize(size);
      await openApp(page, rt, view);
      await LOADED[view](page);
      // current: the retained state read, the controls on (as a person sees the view after its first second)
      await expect(page.getByTestId('connection')).toHaveAttribute('data-live', 'true');
      // two frames: the store commits of the data just loaded are painted
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      await page.screenshot({ path: join(OUT, `layout-${view}-${size.width}.png`) });
      expect(await layoutProblems(page)).toEqual([]);
    });
  }
}
