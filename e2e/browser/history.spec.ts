import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { collectErrors, openApp } from '../support/app.js';
import { ask, operatorClient } from '../support/bus.js';
import { runtimeFromEnv } from '../support/browser.js';
import { screenshots } from '../support/screens.js';

const rt = runtimeFromEnv();
const run = Date.now().toString(36);
const N = 130;

interface Recorded {
  id: number;
  time: number;
  payload: string;
}

/** Every recorded message of a topic, oldest first, once the recorder holds `n` of them. */
async function recorded(topic: string, n: number): Promise<Recorded[]> {
  for (;;) {
    const a = await ask(rt, 'alicia/system/recorder/request', { query: 'messages', topic, order: 'asc', limit: 1000 });
    const msgs = a.messages as Recorded[];
    if (msgs.length >= n) return msgs;
    // the recorder writes in batches (every 200 ms): ask again
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** "2026-12-04T20:10:05" in local time, as a datetime-local input takes it. */
function localInput(t: number): string {
  const d = new Date(t);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

async function download(page: Page, format: 'ndjson' | 'json' | 'csv'): Promise<string> {
  await page.getByTestId('topic-detail').getByTestId('export-format').selectOption(format);
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('topic-detail').getByTestId('export').click()]);
  expect(dl.suggestedFilename()).toMatch(new RegExp(`\\.${format}$`));
  return readFile(await dl.path(), 'utf8');
}

test('a topic’s whole history is reachable: kept messages, older pages from the recorder, a time range, any entry opened, exported', async ({
  page,
}) => {
  const errors = collectErrors(page);
  const topic = `e2e/${run}/history/sensor`;
  await openApp(page, rt, 'topics');
  // 130 messages ~20 ms apart (spread over a few seconds, for the time range below); the window keeps the last 50
  const op = await operatorClient(rt);
  try {
    for (let seq = 0; seq < N; seq++) {
      await op.publishAsync(topic, JSON.stringify({ seq, temperature: 20 + (seq % 7) / 2 }), { qos: 1 });
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await op.endAsync();
  }
  const all = await recorded(topic, N);
  await page.getByTestId('topic-filter').fill(`${run}/history`);
  const row = page.locator(`[data-topic="${topic}"]`);
  await expect(row.locator('.tcount')).toHaveText(String(N));
  await row.click();
  await page.getByTestId('tab-history').click();
  await expect(page.getByTestId('tab-history')).toHaveText('History (50)');
  await expect(page.getByTestId('history-status')).toContainText(`50 kept in the window · the recorder holds ${N}`);

  // older pages from the recorder, after the window's own, nothing twice
  await page.getByTestId('load-older').click();
  await expect(page.getByTestId('tab-history')).toHaveText(`History (${N})`);
  await expect(page.getByTestId('history-status')).toContainText(`50 kept in the window, ${N - 50} older from the recorder`);
  await expect(page.getByTestId('load-older')).toBeDisabled();
  await expect(page.getByText('No older messages recorded.')).toBeVisible();
  await screenshots(page, 'history-older');

  // the oldest one opens, whole
  const list = page.getByTestId('history-list');
  await list.evaluate((el) => (el.scrollTop = el.scrollHeight));
  const oldest = page.getByTestId('history-entry').last();
  await expect(oldest).toContainText('{"seq":0,');
  await oldest.click();
  const dialog = page.getByTestId('message-dialog');
  await expect(dialog.getByTestId('json-tree').locator('[data-path="/seq"]')).toContainText('seq: 0');
  await dialog.getByTestId('close-message').click();
  await expect(dialog).toHaveCount(0);

  // a time range: exactly the recorded messages of that second
  const second = Math.floor(all[60]!.time / 1000) * 1000;
  const inRange = all.filter((m) => m.time >= second && m.time <= second + 999);
  await page.getByTestId('history-from').fill(localInput(second));
  await page.getByTestId('history-to').fill(localInput(second));
  await page.getByTestId('history-range').click();
  await expect(page.getByTestId('tab-history')).toHaveText(`History (${inRange.length})`);
  const first = JSON.parse(inRange[inRange.length - 1]!.payload) as { seq: number };
  await expect(page.getByTestId('history-entry').first()).toContainText(`{"seq":${first.seq},`);

  // export of the range as CSV: the asked columns, one row per message
  const csv = (await download(page, 'csv')).trim().split('\r\n');
  expect(csv[0]).toBe('time,topic,qos,retain,size,payload');
  expect(csv.slice(1).map((l) => l.split(',')[1])).toEqual(inRange.map(() => topic));
  expect(csv.slice(1).map((l) => Number(/"seq"":(\d+)/.exec(l)?.[1]))).toEqual(
    inRange.map((m) => (JSON.parse(m.payload) as { seq: number }).seq),
  );

  // back to the whole history: NDJSON and JSON exports hold all 130, oldest first
  await page.getByRole('button', { name: 'Clear range' }).click();
  const ndjson = (await download(page, 'ndjson'))
    .trim()
    .split('\n')
    .map((l) => (JSON.parse((JSON.parse(l) as { payload: string }).payload) as { seq: number }).seq);
  expect(ndjson).toEqual(Array.from({ length: N }, (_, i) => i));
  const json = JSON.parse(await download(page, 'json')) as { topic: string; payload: { seq: number }; size: number }[];
  expect(json.map((m) => m.payload.seq)).toEqual(Array.from({ length: N }, (_, i) => i));
  expect(json[0]!.size).toBe(Buffer.byteLength(all[0]!.payload));
  expect(errors).toEqual([]);
});
