import { expect, test } from '@playwright/test';
import { collectErrors, openApp } from '../support/app.js';
import { ask, operatorClient } from '../support/bus.js';
import { runtimeFromEnv } from '../support/browser.js';
import { screenshots } from '../support/screens.js';

const rt = runtimeFromEnv();
const run = Date.now().toString(36);

/** How many messages of `topic` (an MQTT filter) the recorder holds from `from` on, oldest first. */
async function recordedSince(topic: string, from: number): Promise<{ time: number }[]> {
  const a = await ask(rt, 'alicia/system/recorder/request', {
    query: 'messages',
    topic,
    from,
    order: 'asc',
    limit: 1000,
    include_payload: false,
  });
  return a.messages as { time: number }[];
}

test('the topic chart fits its axis to the data, shows clock times, reads out several fields, and starts from recorded points', async ({
  page,
}) => {
  const errors = collectErrors(page);
  const topic = `e2e/${run}/chart/hall`;
  // 60 readings between 19 and 23 °C before the window opens; the last one retained, so the topic is in the tree
  const op = await operatorClient(rt);
  try {
    for (let i = 0; i < 60; i++) {
      const reading = { temperature: Math.round((21 + 2 * Math.sin(i / 6)) * 10) / 10, humidity: 40 + (i % 9) };
      await op.publishAsync(topic, JSON.stringify(reading), { qos: 1, retain: i === 59 });
      await new Promise((r) => setTimeout(r, 15));
    }
  } finally {
    await op.endAsync();
  }
  await expect.poll(async () => (await recordedSince(topic, 0)).length).toBe(60);

  await openApp(page, rt, 'topics');
  await page.getByTestId('topic-filter').fill(`${run}/chart`);
  await page.locator(`[data-topic="${topic}"]`).click();
  await page.getByTestId('tab-chart').click();
  // the window itself saw one message (the retained copy): the rest came from the recorder
  // (59 when the retained copy arrived within seconds of its publish: that one is the window's own, not repeated)
  await expect.poll(async () => Number(await page.getByTestId('chart-points').getAttribute('data-recorded'))).toBeGreaterThanOrEqual(59);
  const chart = page.getByTestId('topic-line-chart');
  const svg = chart.locator('svg');
  const lo = Number(await svg.getAttribute('data-lo'));
  const hi = Number(await svg.getAttribute('data-hi'));
  expect(lo).toBeGreaterThanOrEqual(18);
  expect(hi).toBeLessThanOrEqual(24);
  // clock times under the x axis, no "-0 min ... now"
  const ticks = await svg.locator('.x-tick').allTextContents();
  expect(ticks.length).toBeGreaterThan(0);
  for (const t of ticks) expect(t).toMatch(/^\d{2}:\d{2}(:\d{2})?$/);
  await expect(svg).not.toContainText('now');

  // several fields at once, with a read-out at the pointer
  await page.getByTestId('field-humidity').check();
  await expect(chart.locator('path')).toHaveCount(2);
  const box = (await svg.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.9, box.y + box.height / 2);
  const tip = page.getByTestId('chart-tooltip');
  await expect(tip).toContainText('temperature');
  await expect(tip).toContainText('humidity');
  await expect(tip).toContainText(/\d\d:\d\d:\d\d/);
  await screenshots(page, 'topic-chart');
  // and from the keyboard
  await page.mouse.move(0, 0);
  await expect(tip).toHaveCount(0);
  await chart.focus();
  await page.keyboard.press('End');
  await expect(tip).toContainText('temperature');
  expect(errors).toEqual([]);
});

test('the Health charts open with the metrics recorded before the window opened', async ({ page }) => {
  const errors = collectErrors(page);
  // metrics recorded at least 6 s ago (services report every 5 s): a window opened now cannot have seen them live
  await expect
    .poll(async () => (await recordedSince('alicia/health/status/+', 0)).some((m) => m.time < Date.now() - 6000), { timeout: 30_000 })
    .toBe(true);
  await expect
    .poll(async () => (await recordedSince('$SYS/alicia/broker/stats', 0)).some((m) => m.time < Date.now() - 6000), { timeout: 30_000 })
    .toBe(true);
  const opened = Date.now();
  await openApp(page, rt, 'health');
  for (const id of ['chart-throughput', 'chart-latency', 'chart-broker']) {
    await expect.poll(async () => Number((await page.getByTestId(id).getAttribute('data-first')) ?? Infinity)).toBeLessThan(opened - 5000);
  }
  const box = (await page.getByTestId('chart-throughput').locator('svg').boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
  await expect(page.getByTestId('chart-tooltip')).toBeVisible();
  await screenshots(page, 'health-charts');
  expect(errors).toEqual([]);
});
