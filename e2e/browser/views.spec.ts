import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { collectErrors, openApp } from '../support/app.js';
import type { ViewName } from '../support/app.js';
import { runtimeFromEnv } from '../support/browser.js';
import { ROOT as REPO_ROOT } from '../support/host.js';

const rt = runtimeFromEnv();
const VIEWS: ViewName[] = ['services', 'topics', 'traces', 'health', 'devices', 'voice'];
const OUT = join(REPO_ROOT, 'test-results/screenshots');
mkdirSync(OUT, { recursive: true });

for (const theme of ['light', 'dark'] as const) {
  test(`every view renders without console errors (${theme} theme), with screenshots`, async ({ page }) => {
    const errors = collectErrors(page);
    await page.addInitScript((t) => localStorage.setItem('alicia.theme', t), theme);
    await openApp(page, rt);
    await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
    // let retained state, metrics and a broker stats tick arrive
    await page.waitForTimeout(3000);
    for (const [i, view] of VIEWS.entries()) {
      // keyboard shortcut 1-6 switches views
      await page.locator('body').press(String(i + 1));
      await expect(page.locator('main')).toHaveAttribute('data-view', view);
      if (view === 'topics') {
        const first = page.locator('.trow').first();
        await expect(first).toBeVisible();
        await first.click();
        await page.keyboard.press('ArrowRight');
      }
      if (view === 'traces') {
        const s = page.getByTestId('session-row').first();
        if (await s.count()) await s.click();
      }
      await page.waitForTimeout(800);
      await page.screenshot({ path: join(OUT, `${view}-${theme}.png`) });
    }
    // '/' focuses the topic filter from anywhere
    await page.locator('body').press('/');
    await expect(page.getByTestId('topic-filter')).toBeFocused();
    expect(errors).toEqual([]);
  });
}
