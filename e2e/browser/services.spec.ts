import { expect, test } from '@playwright/test';
import { openApp } from '../support/app.js';
import { ask, nextMessage, operatorClient } from '../support/bus.js';
import { runtimeFromEnv } from '../support/browser.js';
import { join } from 'node:path';
import { ROOT } from '../support/host.js';

const rt = runtimeFromEnv();
// A service nothing else in these specs needs while it is down; a thread of the shared service process.
const SERVICE = 'discovery';
const OUT = join(ROOT, 'test-results/screenshots');

interface Beat {
  at: number;
  pid: number;
  status: string;
  /** since this run of the service started: a new run starts again from 0 */
  uptime_ms: number;
}

test.afterEach(async () => {
  // running again even when the test failed half way (start is a no-op for a running service)
  expect(await ask(rt, 'alicia/system/supervisor/request', { action: 'start', service: SERVICE }, 30_000)).toMatchObject({
    ok: true,
    state: 'running',
  });
});

test('stopping a service from the UI stops it and its heartbeat; starting brings both back', async ({ page }) => {
  const bus = await operatorClient(rt);
  const beats: Beat[] = [];
  let interval = 5000;
  bus.on('message', (topic, payload) => {
    if (topic !== `alicia/health/heartbeat/${SERVICE}`) return;
    const hb = JSON.parse(payload.toString()) as { interval_ms?: number; pid: number; status: string; uptime_ms: number };
    if (typeof hb.interval_ms === 'number') interval = hb.interval_ms;
    beats.push({ at: Date.now(), pid: hb.pid, status: hb.status, uptime_ms: hb.uptime_ms });
  });
  await bus.subscribeAsync(`alicia/health/heartbeat/${SERVICE}`, { qos: 0 });
  try {
    const running = (await nextMessage(bus, `alicia/system/services/${SERVICE}`, (s) => s.state === 'running', 60_000)) as {
      pid: number;
      thread: number;
    };
    await openApp(page, rt, 'services');
    const state = page.getByTestId(`state-${SERVICE}`);
    await expect(state).toHaveText('running', { timeout: 60_000 });
    // the shared process's pid and the service's own thread there
    await expect(page.getByTestId(`pid-${SERVICE}`)).toHaveText(`pid ${running.pid} · shared, thread ${running.thread}`);
    await page.screenshot({ path: join(OUT, 'services-shared-process.png') });

    await page.getByTestId(`stop-${SERVICE}`).click();
    await expect(page.getByTestId(`answer-${SERVICE}`)).toContainText('stop', { timeout: 20_000 });
    await expect(state).toHaveText('stopped');
    await expect(page.getByTestId(`pid-${SERVICE}`)).toHaveText('no process');
    // Its last word was its goodbye: an "offline" heartbeat, sent after its heartbeat timer was
    // cleared (or its last will, which says the same).
    await expect.poll(() => beats.some((b) => b.status === 'offline')).toBe(true);
    await expect(page.getByTestId(`start-${SERVICE}`)).toBeEnabled();

    const startedAt = Date.now();
    await page.getByTestId(`start-${SERVICE}`).click();
    await expect(state).toHaveText('running', { timeout: 30_000 });
    await expect.poll(() => beats.filter((b) => b.at > startedAt - 1000).length, { timeout: interval * 3 }).toBeGreaterThan(0);
    // The new run's first heartbeat is the sentinel: nothing came between the old run's goodbye and
    // it, it came after the start, and its uptime counts from after the start (the same pid: the
    // shared process ran on, the service in a new thread of it).
    const goodbye = beats.findIndex((b) => b.status === 'offline');
    const next = beats.findIndex((b, i) => i > goodbye && b.status !== 'offline');
    expect(next).toBeGreaterThan(goodbye);
    expect(beats.slice(goodbye + 1, next).filter((b) => b.status !== 'offline')).toEqual([]);
    expect(beats[next]!.at).toBeGreaterThanOrEqual(startedAt);
    expect(beats[next]!.uptime_ms).toBeLessThanOrEqual(beats[next]!.at - startedAt);
    expect(beats[next]!.pid).toBe(running.pid);
    // and the UI's heartbeat age is fresh again
    await expect(page.getByTestId(`hb-${SERVICE}`)).not.toHaveText('—');
  } finally {
    await bus.endAsync();
  }
});
