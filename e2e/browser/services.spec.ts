import { expect, test } from '@playwright/test';
import { openApp } from '../support/app.js';
import { operatorClient } from '../support/bus.js';
import { runtimeFromEnv } from '../support/browser.js';

const rt = runtimeFromEnv();
// A service nothing else in these specs needs while it is down.
const SERVICE = 'discovery';

test('stopping a service from the UI stops it and its heartbeat; starting brings both back', async ({ page }) => {
  const bus = await operatorClient(rt);
  const beats: number[] = [];
  let interval = 5000;
  bus.on('message', (topic, payload) => {
    if (topic !== `alicia/health/heartbeat/${SERVICE}`) return;
    const hb = JSON.parse(payload.toString()) as { interval_ms?: number };
    if (typeof hb.interval_ms === 'number') interval = hb.interval_ms;
    beats.push(Date.now());
  });
  await bus.subscribeAsync(`alicia/health/heartbeat/${SERVICE}`, { qos: 0 });
  try {
    await openApp(page, rt, 'services');
    const state = page.getByTestId(`state-${SERVICE}`);
    await expect(state).toHaveText('running', { timeout: 60_000 });

    await page.getByTestId(`stop-${SERVICE}`).click();
    await expect(page.getByTestId(`answer-${SERVICE}`)).toContainText('stop', { timeout: 20_000 });
    await expect(state).toHaveText('stopped');
    const stoppedAt = Date.now();
    // No heartbeat for two intervals once stopped.
    await page.waitForTimeout(interval * 2 + 500);
    expect(beats.filter((t) => t > stoppedAt)).toEqual([]);
    await expect(page.getByTestId(`start-${SERVICE}`)).toBeEnabled();

    await page.getByTestId(`start-${SERVICE}`).click();
    await expect(state).toHaveText('running', { timeout: 30_000 });
    const startedAt = Date.now();
    await expect.poll(() => beats.filter((t) => t > startedAt - 1000).length, { timeout: interval * 3 }).toBeGreaterThan(0);
    // and the UI's heartbeat age is fresh again
    await expect(page.getByTestId(`hb-${SERVICE}`)).not.toHaveText('—');
  } finally {
    await bus.endAsync();
  }
});
