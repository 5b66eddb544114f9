import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { ROOT } from './host.js';

/** Where the browser specs put their screenshots (looked at by people, not compared by tests). */
export const SCREENSHOTS = join(ROOT, 'test-results/screenshots');

/** The window sizes every screenshot is taken at: a common laptop, and the narrowest the window is designed for. */
export const SCREEN_SIZES = [
  { width: 1366, height: 800 },
  { width: 900, height: 700 },
] as const;

/**
 * Screenshots of the page as it is, at each of SCREEN_SIZES (`<name>-1366x800.png`, ...), then the
 * viewport it had. Each waits two frames after resizing, so layout and charts have redrawn; `target`
 * is scrolled into view at each size first.
 */
export async function screenshots(page: Page, name: string, target?: Locator): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const before = page.viewportSize();
  for (const size of SCREEN_SIZES) {
    await page.setViewportSize(size);
    await target?.scrollIntoViewIfNeeded();
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${size.width}x${size.height}.png`) });
  }
  if (before) await page.setViewportSize(before);
}
