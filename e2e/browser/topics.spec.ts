import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { openApp } from '../support/app.js';
import { mosquittoPub, mosquittoSub, retainedCopies } from '../support/bus.js';
import { runtimeFromEnv } from '../support/browser.js';
import { screenshots } from '../support/screens.js';

const rt = runtimeFromEnv();
const run = Date.now().toString(36);

/**
 * Open tree rows level by level, as a person would; a freshly opened window shows them all collapsed.
 * The broker's first $SYS stats message adds a root row above every other one: clicking a caret while
 * it arrives would land on the row above, so the tree is read only once that row is there.
 */
async function expand(page: Page, paths: string[]): Promise<void> {
  await expect(page.locator('[data-topic="$SYS"]')).toBeVisible();
  for (const path of paths) {
    const row = page.locator(`[data-topic="${path}"]`);
    await expect(row).toHaveAttribute('aria-expanded', 'false');
    await row.locator('.caret').click();
    await expect(row).toHaveAttribute('aria-expanded', 'true');
  }
}

test('a message from mosquitto_pub appears under its path with its payload', async ({ page }) => {
  await openApp(page, rt, 'topics');
  const topic = `e2e/${run}/tree/hello`;
  await mosquittoPub(rt, topic, JSON.stringify({ greeting: 'hi from mosquitto', n: 1 }));
  await expand(page, [`e2e`, `e2e/${run}`, `e2e/${run}/tree`]);
  const leaf = page.locator(`[data-topic="${topic}"]`);
  await expect(leaf).toBeVisible();
  await expect(leaf).toContainText('hi from mosquitto');
  await leaf.click();
  await expect(page.getByTestId('json-tree').locator('[data-path="/greeting"]')).toHaveText('greeting: "hi from mosquitto"');
});

test('the topic filter takes MQTT wildcards, and plain text still matches anywhere', async ({ page }) => {
  const base = `e2e/${run}/wild`;
  const topics = [`${base}/status/kitchen`, `${base}/status/hall/extra`, `${base}/command`];
  await openApp(page, rt, 'topics');
  for (const t of topics) await mosquittoPub(rt, t, '{"on":true}');
  const shown = page.locator('[data-testid="topic-list"] .trow');
  const filter = page.getByTestId('topic-filter');
  await filter.fill(`${base}/status/+`);
  await expect(page.getByTestId('mqtt-filter')).toBeVisible();
  await expect(shown).toHaveCount(1);
  await expect(shown).toHaveAttribute('data-topic', topics[0]!);
  await filter.fill(`${base}/#`);
  await expect(shown).toHaveCount(3);
  await filter.fill(`+/${run}/wild/status/#`);
  await expect(shown).toHaveCount(2);
  // plain text: a case-insensitive substring, as before
  await filter.fill(`${run}/WILD/STATUS`);
  await expect(page.getByTestId('mqtt-filter')).toHaveCount(0);
  await expect(shown).toHaveCount(2);
  await screenshots(page, 'topics-wildcard');
});

test('a topic the window published with retain is shown as retained', async ({ page }) => {
  const topic = `e2e/${run}/own/lamp`;
  await openApp(page, rt, 'topics');
  await page.getByTestId('publish-topic').fill(topic);
  await page.getByTestId('publish-payload').fill('{"on":true}');
  await page.getByTestId('publish-retain').check();
  await page.getByTestId('publish-send').click();
  await expect(page.getByTestId('publish-result')).toContainText('(retained)');
  await page.getByTestId('topic-filter').fill(`${run}/own`);
  const row = page.locator(`[data-topic="${topic}"]`);
  await expect(row.locator('.rbadge')).toBeVisible();
  await row.click();
  await expect(page.getByTestId('retained-badge')).toBeVisible();
  // and the broker does keep it
  expect(await retainedCopies(rt, topic, topic)).toEqual(['{"on":true}']);
  await page.getByTestId('clear-retained').click();
  await expect(row).toHaveCount(0);
});

test('the publish form reaches a mosquitto_sub', async ({ page }) => {
  await openApp(page, rt, 'topics');
  const topic = `e2e/${run}/form/out`;
  const sub = await mosquittoSub(rt, topic, { count: 1, waitS: 15 });
  await page.getByTestId('publish-topic').fill(topic);
  await page.getByTestId('publish-payload').fill('{"from":"the publish form"}');
  await page.getByTestId('publish-send').click();
  await expect(page.getByTestId('publish-result')).toContainText('Sent');
  expect(await sub.messages).toContain('{"from":"the publish form"}');
});

test('clearing a retained topic removes it from the broker and the tree', async ({ page }) => {
  const topic = `e2e/${run}/retained/lamp`;
  await mosquittoPub(rt, topic, '{"on":true}', { retain: true });
  await openApp(page, rt, 'topics');
  await page.getByTestId('topic-filter').fill(`${run}/retained`);
  const row = page.locator(`[data-topic="${topic}"]`);
  await expect(row).toBeVisible();
  await expect(row.locator('.rbadge')).toBeVisible();
  await row.click();
  await page.getByTestId('clear-retained').click();
  await expect(row).toHaveCount(0);
  // a new subscriber gets no retained copy any more
  expect(await retainedCopies(rt, topic, topic)).toEqual([]);
});

test('clearing a subtree clears every retained topic under it', async ({ page }) => {
  const base = `e2e/${run}/subtree`;
  await mosquittoPub(rt, `${base}/a`, '1', { retain: true });
  await mosquittoPub(rt, `${base}/b/c`, '2', { retain: true });
  await openApp(page, rt, 'topics');
  await expand(page, ['e2e', `e2e/${run}`]);
  await page.locator(`[data-topic="${base}"]`).click();
  page.once('dialog', (d) => void d.accept());
  await page.getByTestId('clear-subtree').click();
  await expect(page.getByTestId('topic-detail')).toContainText('Cleared 2 retained topics');
  await expect(page.locator(`[data-topic="${base}"]`)).toHaveCount(0);
  expect(await retainedCopies(rt, `${base}/#`, `${base}/sentinel`)).toEqual([]);
});
