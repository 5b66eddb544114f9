import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { seal } from '../../services/lib/protocol/envelope.js';
import { collectErrors, openApp } from '../support/app.js';
import { mosquittoPub } from '../support/bus.js';
import { runtimeFromEnv } from '../support/browser.js';
import { screenshots } from '../support/screens.js';

const rt = runtimeFromEnv();
const run = Date.now().toString(36);

/** A TTS-reply-sized message: envelope, text, ~80 KB of base64 audio, 900 samples (one tagged "needle"), a deep needle. */
function bigPayload(): string {
  const samples = Array.from({ length: 900 }, (_, i) => ({
    i,
    v: Math.round(Math.sin(i / 9) * 1000) / 1000,
    tag: i === 700 ? 'needle' : 'hay',
  }));
  const body = {
    text: 'The kitchen light is on.',
    audio_data: 'UklGR' + 'QUJD'.repeat(20_000),
    samples,
    nested: { a: { b: { c: { d: { e: 'a needle deep down' } } } } },
  };
  return JSON.stringify(seal(body, { source: 'e2e', trace_id: `trace-${run}` }));
}

test('a 110 KB JSON payload opens as a folded tree in one scroller, with search, copy and save', async ({ page }) => {
  const errors = collectErrors(page);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  const topic = `e2e/${run}/payload/tts`;
  const payload = bigPayload();
  expect(payload.length).toBeGreaterThan(100_000);
  await openApp(page, rt, 'topics');
  await mosquittoPub(rt, topic, payload);
  await page.getByTestId('topic-filter').fill(`${run}/payload`);
  await page.locator(`[data-topic="${topic}"]`).click();

  // folded: a handful of rows, not 160k characters; the envelope apart from the body
  const tree = page.getByTestId('json-tree');
  await expect(tree).toBeVisible();
  expect(Number(await tree.getAttribute('data-rows'))).toBeLessThan(20);
  await expect(page.getByTestId('envelope')).toContainText(`trace-${run}`);
  await expect(tree).not.toContainText('trace_id');
  await expect(tree.locator('[data-path="/audio_data"]')).toContainText('80,005 chars');
  await expect(page.getByTestId('payload-size')).toHaveText(`${Math.round(payload.length / 1024)} KB`);

  // opened, the 900 samples are thousands of rows, in one scroller in the whole detail pane: the tree's own list
  await tree.locator('[data-path="/samples"]').getByRole('button').click();
  expect(Number(await tree.getAttribute('data-rows'))).toBeGreaterThan(3000);
  const scrollers = await page
    .getByTestId('topic-detail')
    .evaluate((root) =>
      [root, ...Array.from(root.querySelectorAll('*'))]
        .filter((el) => /(auto|scroll)/.test(getComputedStyle(el).overflowY) && el.scrollHeight > el.clientHeight + 1)
        .map((el) => el.getAttribute('data-testid') ?? el.className),
    );
  expect(scrollers).toEqual(['json-rows']);
  await tree.locator('[data-path="/samples"]').getByRole('button').click();

  // search: every occurrence counted, the current one opened up to and shown, next/previous step
  await page.getByTestId('payload-search').fill('needle');
  await expect(page.getByTestId('search-count')).toHaveText('1 / 2');
  const current = page.locator('.jrow.current');
  await expect(current).toHaveAttribute('data-path', '/samples/700/tag');
  await expect(current).toBeInViewport();
  await expect(current.locator('mark')).toHaveText('needle');
  await page.getByTestId('search-next').click();
  await expect(page.getByTestId('search-count')).toHaveText('2 / 2');
  await expect(current).toHaveAttribute('data-path', '/nested/a/b/c/d/e');
  await page.getByTestId('payload-search').press('Shift+Enter');
  await expect(page.getByTestId('search-count')).toHaveText('1 / 2');
  await screenshots(page, 'payload-search');

  // copy: the whole payload as formatted JSON
  await page.getByTestId('copy-payload').click();
  await expect(page.getByTestId('copy-payload')).toHaveText('✓ Copied');
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(JSON.parse(copied)).toEqual(JSON.parse(payload));

  // save: the bytes as they came
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save-payload').click()]);
  expect(download.suggestedFilename()).toMatch(/^e2e_.*_payload_tts-\d{8}-\d{6}\.json$/);
  expect(await readFile(await download.path(), 'utf8')).toBe(payload);
  expect(errors).toEqual([]);
});
