import { expect, test } from '@playwright/test';
import { openApp } from '../support/app.js';
import { ask, nextMessage, operatorClient } from '../support/bus.js';
import { runtimeFromEnv } from '../support/browser.js';
import { pidAlive } from '../../electron/host/supervisor/launcher.js';

const rt = runtimeFromEnv();
// A service nothing else in these specs needs while it is down.
const SERVICE = 'discovery';

interface Beat {
  at: number;
  pid: number;
  status: string;
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
    const hb = JSON.parse(payload.toString()) as { interval_ms?: number; pid: number; status: string };
    if (typeof hb.interval_ms === 'number') interval = hb.interval_ms;
    beats.push({ at: Date.now(), pid: hb.pid, status: hb.status });
  });
  await bus.subscribeAsync(`alicia/health/heartbeat/${SERVICE}`, { qos: 0 });
  try {
    const running = (await nextMessage(bus, `alicia/system/services/${SERVICE}`, (s) => s.state === 'running', 60_000)) as { pid: number };
    await openApp(page, rt, 'services');
    const state = page.getByTestId(`state-${SERVICE}`);
    await expect(state).toHaveText('running', { timeout: 60_000 });

    await page.getByTestId(`stop-${SERVICE}`).click();
    await expect(page.getByTestId(`answer-${SERVICE}`)).toContainText('stop', { timeout: 20_000 });
    await expect(state).toHaveText('stopped');
    // The process is gone, and its last word was its goodbye: an "offline" heartbeat, sent after
    // its heartbeat timer was cleared (or its last will, which says the same).
    expect(pidAlive(running.pid)).toBe(false);
    await expect.poll(() => beats.some((b) => b.pid === running.pid && b.status === 'offline')).toBe(true);
    await expect(page.getByTestId(`start-${SERVICE}`)).toBeEnabled();

    const startedAt = Date.now();
    await page.getByTestId(`start-${SERVICE}`).click();
    await expect(state).toHaveText('running', { timeout: 30_000 });
    await expect.poll(() => beats.filter((b) => b.at > startedAt - 1000).length, { timeout: interval * 3 }).toBeGreaterThan(0);
    await expect.poll(() => beats.some((b) => b.pid !== running.pid), { timeout: interval * 3 }).toBe(true);
    // The new process's first heartbeat is the sentinel: nothing came between the old one's goodbye
    // and it, and it came after the start.
    const goodbye = beats.findIndex((b) => b.pid === running.pid && b.status === 'offline');
    const next = beats.findIndex((b, i) => i > goodbye && b.pid !== running.pid);
    expect(next).toBeGreaterThan(goodbye);
    expect(beats.slice(goodbye + 1, next)).toEqual([]);
    expect(beats[next]!.at).toBeGreaterThanOrEqual(startedAt);
    // and the UI's heartbeat age is fresh again
    await expect(page.getByTestId(`hb-${SERVICE}`)).not.toHaveText('—');
  } finally {
    await bus.endAsync();
  }
});
