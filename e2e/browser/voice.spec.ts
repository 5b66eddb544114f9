import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { openApp } from '../support/app.js';
import { mosquittoPub } from '../support/bus.js';
import { CHROMIUM, CHROMIUM_ARGS, runtimeFromEnv } from '../support/browser.js';

const rt = runtimeFromEnv();

// The microphone is Chromium's fake capture device playing an espeak-ng WAV once (flags below).
// Playwright also loads this file in its runner process to list the tests, where nothing is
// launched and afterAll never runs: only a worker (TEST_WORKER_INDEX set) makes the WAV, and
// removes it afterwards.
const inWorker = process.env.TEST_WORKER_INDEX !== undefined;
const dir = inWorker ? mkdtempSync(join(tmpdir(), 'alicia-voice-')) : join(tmpdir(), 'alicia-voice-not-in-a-worker');
const raw = join(dir, 'raw.wav');
const wav = join(dir, 'utt.wav');
if (inWorker) {
  execFileSync('espeak-ng', ['-v', 'en-us', '-s', '140', '-w', raw, 'turn on the kitchen light']);
  // 16 kHz mono 16-bit, with silence after the speech so "end on silence" has something to hear.
  execFileSync('sox', [raw, '-r', '16000', '-c', '1', '-b', '16', wav, 'pad', '0.5', '2.0']);
}

test.use({
  launchOptions: {
    executablePath: CHROMIUM,
    args: [
      ...CHROMIUM_ARGS,
      // grant the microphone without the permission prompt nobody can click
      '--use-fake-ui-for-media-stream',
      // a fake capture device instead of hardware (the test machines have none) ...
      '--use-fake-device-for-media-stream',
      // ... that plays this WAV, once (%noloop): one utterance, then silence for "end on silence"
      `--use-file-for-fake-audio-capture=${wav}%noloop`,
      // the spoken reply plays without a click first
      '--autoplay-policy=no-user-gesture-required',
    ],
  },
  permissions: ['microphone'],
});

test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('"turn on the kitchen light" from the microphone turns the light on, shows the reply and a trace', async ({ page }) => {
  // start from a known state: the light off
  await mosquittoPub(rt, 'alicia/device/command', JSON.stringify({ device_id: 'kitchen_light', action: 'turn_off' }));
  await openApp(page, rt, 'devices');
  await expect(page.getByTestId('summary-kitchen_light')).toHaveText('off');

  await page.getByTestId('nav-voice').click();
  await page.getByTestId('mic').click();
  await expect(page.getByTestId('mic')).toHaveAttribute('data-state', /listening|sending|waiting/);
  const result = page.getByTestId('voice-result');
  await expect(result).toHaveAttribute('data-ok', 'true', { timeout: 45_000 });
  await expect(page.getByTestId('transcription')).toHaveText(/turn on the kitchen light/i);
  await expect(page.getByTestId('intent')).toContainText('turn_on');
  await expect(page.getByTestId('reply')).not.toHaveText('—');

  await page.getByTestId('nav-devices').click();
  await expect(page.getByTestId('summary-kitchen_light')).toHaveText(/^on/);

  await page.getByTestId('nav-traces').click();
  const row = page
    .getByTestId('session-row')
    .filter({ hasText: /turn on the kitchen light/i })
    .first();
  await expect(row).toBeVisible();
  await row.click();
  await expect(page.getByTestId('waterfall')).toBeVisible();
  await expect(page.getByTestId('trace-detail')).toContainText('alicia/voice/command');
});

test('a typed command goes through the same pipeline', async ({ page }) => {
  await openApp(page, rt, 'voice');
  await page.getByTestId('typed-command').fill('turn off the kitchen light');
  await page.getByTestId('typed-command').press('Enter');
  await expect(page.getByTestId('voice-result')).toHaveAttribute('data-ok', 'true', { timeout: 30_000 });
  await expect(page.getByTestId('intent')).toContainText('turn_off');
});
