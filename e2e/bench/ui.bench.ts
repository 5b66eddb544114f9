import { Worker } from 'node:worker_threads';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, startHost } from '../fixtures/host.js';
import type { BenchSection } from './types.js';
import type { UiLoadConfig, UiLoadReport } from './uiLoad.worker.js';

/**
 * The control center under load (issue 5 "Speed"): Debian Chromium on the Topics view of the real
 * headless host while a publisher sends RATE msg/s across TOPICS topics for DURATION. Reported:
 *  - frame time p50/p95 from requestAnimationFrame deltas recorded inside the page;
 *  - dropped updates: messages under bench/ that the UI's tree shows (its count on the bench row)
 *    vs messages sent, after the load stops and the UI settles;
 *  - JS heap used (CDP Performance.getMetrics) at the end, and its peak during the run.
 * Env: ALICIA_BENCH_UI_RATE, ALICIA_BENCH_UI_TOPICS, ALICIA_BENCH_UI_SECONDS override the 10k/20k/30.
 */
const RATE = Number(process.env.ALICIA_BENCH_UI_RATE ?? 10_000);
const TOPICS = Number(process.env.ALICIA_BENCH_UI_TOPICS ?? 20_000);
const SECONDS = Number(process.env.ALICIA_BENCH_UI_SECONDS ?? 30);

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export async function run(): Promise<BenchSection> {
  const host = await startHost();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, '--enable-precise-memory-info'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1360, height: 820 } });
    // rAF deltas are recorded by the page itself, so the driver's own latency does not count.
    await page.addInitScript(() => {
      const w = window as unknown as { __frames: number[]; __recording: boolean };
      w.__frames = [];
      w.__recording = false;
      let last = 0;
      const tick = (t: number) => {
        if (w.__recording && last) w.__frames.push(t - last);
        last = t;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    await page.goto(`${host.runtime.http.url}#/topics`);
    await page.locator('[data-testid="connection"][data-status="connected"]').waitFor({ timeout: 20_000 });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const heap = async () => {
      const m = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
      return m.metrics.find((x) => x.name === 'JSHeapUsedSize')?.value ?? NaN;
    };
    const heapBefore = await heap();

    const cfg: UiLoadConfig = {
      url: host.runtime.mqtt.url,
      username: host.runtime.mqtt.username,
      password: host.runtime.mqtt.password,
      rate: RATE,
      topics: TOPICS,
      durationMs: SECONDS * 1000,
    };
    const worker = new Worker(new URL('./uiLoad.worker.js', import.meta.url), { workerData: cfg });
    const next = () =>
      new Promise<UiLoadReport>((resolve, reject) => {
        worker.once('message', (m: UiLoadReport) => (m.type === 'error' ? reject(new Error(m.message)) : resolve(m)));
        worker.once('error', reject);
      });
    await next(); // ready
    await page.evaluate(() => ((window as unknown as { __recording: boolean }).__recording = true));
    worker.postMessage('go');
    let heapPeak = heapBefore;
    const sampler = setInterval(() => {
      void heap().then(
        (h) => (heapPeak = Math.max(heapPeak, h)),
        () => undefined,
      );
    }, 1000);
    const done = (await next()) as Extract<UiLoadReport, { type: 'done' }>;
    clearInterval(sampler);
    await worker.terminate();

    // Let the broker drain to the window, then read what the tree shows for bench/.
    const row = page.locator('[data-topic="bench"] .tcount');
    let shown = 0;
    let settledAt = Date.now();
    const stoppedAt = Date.now();
    for (let waited = 0; waited < 60_000; waited += 500) {
      const v = Number((await row.getAttribute('data-count').catch(() => '0')) ?? 0);
      if (v !== shown) settledAt = Date.now();
      shown = v;
      if (shown >= done.sent || Date.now() - settledAt > 5000) break;
      await page.waitForTimeout(500);
    }
    const caughtUpS = Math.round((settledAt - stoppedAt) / 100) / 10;
    const frames = await page.evaluate(() => {
      const w = window as unknown as { __frames: number[]; __recording: boolean };
      w.__recording = false;
      return w.__frames;
    });
    const topicsShown = Number((await page.getByTestId('topic-stats').getAttribute('data-topics')) ?? 0);
    const heapEnd = await heap();
    const sorted = [...frames].sort((a, b) => a - b);
    const sendSeconds = (done.endedAt - done.startedAt) / 1000;
    const mb = (b: number) => Math.round((b / 1024 / 1024) * 10) / 10;
    return {
      title: `Control center under load (Chromium, Topics view, ${RATE.toLocaleString('en-US')} msg/s over ${TOPICS.toLocaleString('en-US')} topics for ${SECONDS} s)`,
      columns: ['metric', 'value', 'target'],
      rows: [
        ['messages sent', done.sent, ''],
        ['publisher clients / disconnected by the broker', `${done.clients} / ${done.disconnects}`, '/ 0'],
        ['achieved publish rate (msg/s)', Math.round(done.sent / sendSeconds), RATE],
        ['messages the tree counts under bench/', shown, done.sent],
        ['dropped updates', done.sent - shown, 0],
        ['UI count still rising after the publisher stopped (s)', caughtUpS, ''],
        ['topics in the tree (all)', topicsShown, `>= ${TOPICS}`],
        ['frames recorded', frames.length, ''],
        ['frame time p50 (ms)', Math.round(pct(sorted, 50) * 10) / 10, ''],
        ['frame time p95 (ms)', Math.round(pct(sorted, 95) * 10) / 10, '< 33'],
        ['frame time max (ms)', Math.round((sorted[sorted.length - 1] ?? NaN) * 10) / 10, ''],
        ['JS heap before (MB)', mb(heapBefore), ''],
        ['JS heap peak (MB)', mb(heapPeak), '< 300'],
        ['JS heap at end (MB)', mb(heapEnd), '< 300'],
      ],
      notes: [
        "One mqtt.js publisher (worker thread, TCP, QoS 0) -> the host's Aedes broker (which also records every message to SQLite) -> the window over WebSocket (subscribed to # at QoS 1).",
        'Frame times are requestAnimationFrame deltas measured in the page from the start of publishing until the tree settled; headless Chromium with --disable-gpu.',
        'Dropped = sent minus the bench/ count the tree shows; the count includes messages whose history the window has evicted (bounded memory), so eviction is not loss.',
      ],
    };
  } finally {
    await browser.close();
    await host.stop();
  }
}
