import type { Page } from '@playwright/test';
import type { RuntimeInfo } from '../../electron/host/headless.js';

export type ViewName = 'services' | 'topics' | 'traces' | 'health' | 'devices' | 'voice';

/** Open the control center and wait until its bus connection is up. */
export async function openApp(page: Page, rt: RuntimeInfo, view?: ViewName): Promise<void> {
  await page.goto(rt.http.url + (view ? `#/${view}` : ''));
  await page.locator('[data-testid="connection"][data-status="connected"]').waitFor({ timeout: 20_000 });
  if (view) await page.getByTestId(`nav-${view}`).click();
}

/** Collect console errors and uncaught exceptions of a page. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  return errors;
}
