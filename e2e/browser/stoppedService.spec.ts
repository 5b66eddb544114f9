import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { openApp } from '../support/app.js';
import { ask } from '../support/bus.js';
import { runtimeFromEnv } from '../support/browser.js';
import { ROOT as REPO_ROOT } from '../support/host.js';

/**
 * A stop the user asked for, as the window tells it: an honest stopped row (no old pid, rate or
 * counting heartbeat; who stopped it and when), an info alert that reads as a stop (never a critical
 * "service down"), which can be acknowledged, and the log tail split per process run, searchable,
 * filtered by level and downloadable.
 */

const rt = runtimeFromEnv();
// A service nothing else in these specs needs while it is down; a thread of the shared service
// process, so its runs share that process's pid and the log tells them apart by run.
const SERVICE = 'discovery';
const OUT = join(REPO_ROOT, 'test-results/screenshots');

test.afterEach(async () => {
  // running again even when the test failed half way (start is a no-op for a running service)
  expect(await ask(rt, 'alicia/system/supervisor/request', { action: 'start', service: SERVICE }, 30_000)).toMatchObject({
    ok: true,
    state: 'running',
  });
});

test('a stop from the window reads as a stop: honest row, info alert to acknowledge, the log per run', async ({ page }) => {
  await page.setViewportSize({ width: 1366, height: 800 });
  await openApp(page, rt, 'services');
  const state = page.getByTestId(`state-${SERVICE}`);
  await expect(state).toHaveText('running', { timeout: 60_000 });
  const pidOf = async () => Number(/pid (\d+)/.exec((await page.getByTestId(`pid-${SERVICE}`).textContent()) ?? '')?.[1]);
  const pid = await pidOf();
  expect(pid).toBeGreaterThan(0);

  await page.getByTestId(`stop-${SERVICE}`).click();
  await expect(state).toHaveText('stopped', { timeout: 20_000 });
  // the row no longer speaks of the process that is gone
  await expect(page.getByTestId(`pid-${SERVICE}`)).toHaveText('no process');
  await expect(page.getByTestId(`rate-${SERVICE}`)).toHaveText('—');
  await expect(page.getByTestId(`hb-${SERVICE}`)).toHaveText('—');
  await expect(page.getByTestId(`detail-${SERVICE}`)).toContainText(/stopped by (you|window)/);

  // Health: a stopped service, an info alert in words, nothing critical about it
  await page.getByTestId('nav-health').click();
  await expect(page.getByTestId(`health-${SERVICE}`)).toHaveAttribute('data-status', 'stopped');
  const alert = page.locator(`[data-testid="alert"][data-service="${SERVICE}"][data-alert="service_stopped"]`).first();
  await expect(alert).toContainText(`${SERVICE} was stopped on request (by you)`);
  await expect(page.locator(`[data-testid="alert"][data-service="${SERVICE}"][data-alert="service_down"]`)).toHaveCount(0);
  await page.screenshot({ path: join(OUT, 'stopped-health-1366.png') });

  // acknowledged from the keyboard: the button goes, the alert says when it was seen, the count drops
  const openBefore = Number(((await page.getByTestId('alerts-open').textContent()) ?? '').replace(/\D/g, ''));
  await alert.getByTestId('alert-ack').focus();
  await page.keyboard.press('Enter');
  await expect(alert.getByTestId('alert-ack')).toHaveCount(0);
  await expect(alert).toContainText('seen');
  await expect(page.getByTestId('alerts-open')).toHaveText(`${openBefore - 1} new`);

  // started again: a new run, the old run's lines under their own divider
  await page.getByTestId('nav-services').click();
  await page.getByTestId(`start-${SERVICE}`).click();
  await expect(state).toHaveText('running', { timeout: 30_000 });
  await page.getByTestId(`service-${SERVICE}`).locator('.link-button').click();
  // the same shared process, a new run of the service in it
  expect(await pidOf()).toBe(pid);
  const runs = page.locator(`[data-testid="log-run"][data-pid="${pid}"]`);
  const newRun = runs.last();
  const run = Number(await newRun.getAttribute('data-run'));
  expect(run).toBeGreaterThan(1);
  const oldRun = page.locator(`[data-testid="log-run"][data-pid="${pid}"][data-run="${run - 1}"]`);
  // this run's own thread (a new one at every start): its readiness line names it
  const thread = Number(/thread (\d+)/.exec((await page.getByTestId(`pid-${SERVICE}`).textContent()) ?? '')?.[1]);
  expect(thread).toBeGreaterThan(0);
  const ready = `ready (pid ${pid}, thread ${thread} of the shared process)`;
  await expect(oldRun).toContainText('stopped (');
  await expect(newRun).toContainText(ready);
  // a run holds only its own lines
  await expect(newRun).not.toContainText('stopping');

  // search: only matching lines stay, counted
  await page.getByTestId('log-search').fill(ready);
  await expect(page.getByTestId('log-count')).toContainText(/^1 of \d+ lines/);
  // the old run keeps its divider (a process ran), without lines
  await expect(oldRun.locator('.log-line')).toHaveCount(0);
  // and it is what the download holds
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('log-download').click()]);
  const saved = readFileSync(await download.path(), 'utf8');
  expect(saved).toContain(ready);
  expect(saved).not.toContain('stopped (');
  await page.getByTestId('log-search').fill('');

  // level filter: errors only hides the supervisor's info lines
  await page.getByTestId('log-level').selectOption('error');
  await expect(newRun).not.toContainText(ready);
  await page.getByTestId('log-level').selectOption('debug');
  await expect(newRun).toContainText(ready);
});
