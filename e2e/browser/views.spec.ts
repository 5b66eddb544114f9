import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { SERVICE_NAMES } from '../../services/lib/protocol/services.js';
import { collectErrors, openApp } from '../support/app.js';
import type { ViewName } from '../support/app.js';
import { ask } from '../support/bus.js';
import { runtimeFromEnv } from '../support/browser.js';
import { ROOT as REPO_ROOT } from '../support/host.js';

const rt = runtimeFromEnv();
const VIEWS: ViewName[] = ['services', 'topics', 'traces', 'health', 'devices', 'voice'];
const OUT = join(REPO_ROOT, 'test-results/screenshots');
mkdirSync(OUT, { recursive: true });

/** What each view shows once its data has arrived: waited for before its screenshot. */
const SHOWS_DATA: Record<ViewName, (page: Page) => Promise<void>> = {
  services: async (page) => {
    for (const name of SERVICE_NAMES) {
      await expect(page.getByTestId(`state-${name}`)).toHaveText('running', { timeout: 60_000 });
      await expect(page.getByTestId(`hb-${name}`)).not.toHaveText('—');
    }
  },
  topics: async (page) => {
    const first = page.locator('.trow').first();
    await expect(first).toBeVisible();
    await first.click();
    await page.keyboard.press('ArrowRight');
  },
  traces: async (page) => {
    // a session of this test's own (a question: it changes no device), shown live as it happens
    const text = 'is the kitchen light on';
    const result = await ask(rt, 'alicia/voice/command', { session_id: `e2e-views-${Date.now()}`, text, speak: false });
    expect(result).toMatchObject({ ok: true, intent: { name: 'get_state' } });
    const row = page.getByTestId('session-row').filter({ hasText: text }).filter({ hasText: 'get_state' }).first();
    await expect(row).toBeVisible();
    await row.click();
    await expect(page.getByTestId('waterfall')).toBeVisible();
  },
  health: async (page) => {
    await expect(page.getByTestId('overall')).not.toHaveText('no report yet');
    await expect(page.getByTestId('broker-stats')).toBeVisible();
  },
  devices: async (page) => {
    await expect(page.getByTestId('device-kitchen_light')).toBeVisible();
  },
  voice: async (page) => {
    await expect(page.getByTestId('typed-command')).toBeVisible();
  },
};

for (const theme of ['light', 'dark'] as const) {
  test(`every view renders without console errors or serious accessibility violations (${theme} theme), with screenshots`, async ({
    page,
  }) => {
    const errors = collectErrors(page);
    await page.addInitScript((t) => localStorage.setItem('alicia.theme', t), theme);
    await openApp(page, rt);
    await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
    for (const [i, view] of VIEWS.entries()) {
      // keyboard shortcut 1-6 switches views
      await page.locator('body').press(String(i + 1));
      await expect(page.locator('main')).toHaveAttribute('data-view', view);
      await SHOWS_DATA[view](page);
      await page.screenshot({ path: join(OUT, `${view}-${theme}.png`) });
      // axe-core on the view as shown, with its data: nothing serious or critical
      const axe = await new AxeBuilder({ page }).analyze();
      const bad = axe.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map(
          (v) => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.map((n) => `${n.target.join(' ')} ${n.failureSummary ?? ''}`).join(' | ')}`,
        );
      expect(bad, `${view} in the ${theme} theme`).toEqual([]);
    }
    // '/' focuses the topic filter from anywhere
    await page.locator('body').press('/');
    await expect(page.getByTestId('topic-filter')).toBeFocused();
    expect(errors).toEqual([]);
  });
}
