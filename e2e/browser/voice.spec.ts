import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import type { MqttClient } from 'mqtt';
import { openApp } from '../support/app.js';
import { ask, mosquittoPub, operatorClient } from '../support/bus.js';
import { runtimeFromEnv } from '../support/browser.js';
import { ROOT } from '../support/host.js';
import { screenshots } from '../support/screens.js';
import { micPage, speakWav } from './voiceMic.js';

/**
 * The Voice view against the real host: streamed microphone commands (Chromium's fake capture
 * device playing an espeak-ng WAV), typed commands, the question before a risky action, undo,
 * hands-free, and a screenshot of each state in test-results/e2e/voice-states/.
 */
const rt = runtimeFromEnv();
const SHOTS = join(ROOT, 'test-results', 'e2e', 'voice-states');
const inWorker = process.env.TEST_WORKER_INDEX !== undefined;
const dir = inWorker ? mkdtempSync(join(tmpdir(), 'alicia-voice-')) : '';
test.afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

async function typed(page: Page, text: string, turns: number): Promise<void> {
  await page.getByTestId('typed-command').fill(text);
  await page.getByTestId('typed-command').press('Enter');
  await expect(page.locator('[data-testid="history"] li.turn')).toHaveCount(turns, { timeout: 30_000 });
}

async function deviceState(id: string): Promise<Record<string, unknown>> {
  const r = await ask(rt, 'alicia/device/command', { device_id: id, action: 'get_state' });
  return r.state as Record<string, unknown>;
}

/** 16-bit samples of a WAV file (the canonical 44-byte header sox writes). */
function wavSamples(path: string): Int16Array {
  const b = readFileSync(path);
  return new Int16Array(b.buffer.slice(b.byteOffset + 44, b.byteOffset + b.length));
}

/** First 20 ms frame at or above -40 dBFS: where the speech starts. */
function onset(x: Int16Array): number {
  for (let at = 0; at + 320 <= x.length; at += 320) {
    let s = 0;
    for (let i = at; i < at + 320; i++) s += x[i]! * x[i]!;
    if (Math.sqrt(s / 320) / 32768 >= 0.01) return at;
  }
  return -1;
}

/** Normalised correlation of a and b over n samples from the given starts. */
function ncc(a: Int16Array, a0: number, b: Int16Array, b0: number, n: number): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[a0 + i] ?? 0;
    const y = b[b0 + i] ?? 0;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}

test('a spoken command streams from the microphone, switches the light, and the stream is the WAV sample by sample', async () => {
  await mosquittoPub(rt, 'alicia/device/command', JSON.stringify({ device_id: 'kitchen_light', action: 'turn_off' }));
  const wav = speakWav(dir, 'kitchen', 'turn on the kitchen light', { voice: 'en-us', speed: 140 });
  const op: MqttClient = await operatorClient(rt);
  const chunks: { seq: number; pcm: string; final?: boolean }[] = [];
  op.on('message', (topic, payload) => {
    if (topic.startsWith('alicia/voice/audio/')) chunks.push(JSON.parse(payload.toString()) as (typeof chunks)[number]);
  });
  await op.subscribeAsync('alicia/voice/audio/+', { qos: 1 });
  const { browser, page } = await micPage(rt, wav);
  try {
    await shot(page, '1-idle');
    await page.getByTestId('mic').click();
    await expect(page.getByTestId('mic')).toHaveAttribute('data-state', 'listening');
    await expect(page.getByTestId('mic-indicator')).toHaveAttribute('data-open', 'true');
    await shot(page, '2-listening');
    const result = page.getByTestId('voice-result');
    await expect(result).toHaveAttribute('data-ok', 'true', { timeout: 40_000 });
    // stt ended the utterance by itself (no click): the microphone is closed again
    await expect(page.getByTestId('mic')).toHaveAttribute('data-state', 'idle');
    await expect(page.getByTestId('mic-indicator')).toHaveAttribute('data-open', 'false');
    await expect(page.getByTestId('transcription')).toHaveText(/turn on the kitchen lights?/);
    await expect(page.getByTestId('intent')).toHaveText('turn_on');
    await expect(page.getByTestId('confidence')).toHaveText(/\d+ %/);
    await expect(page.getByTestId('undo')).toBeVisible();
    expect((await deviceState('kitchen_light')).on).toBe(true);
    await shot(page, '3-result');

    // What the window streamed, against the WAV the fake microphone played: the seq has no gap,
    // the speech is all there (the start included), and it is the same signal sample by sample.
    expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => i));
    const bytes = Buffer.concat(chunks.map((c) => Buffer.from(c.pcm, 'base64')));
    const got = new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length / 2);
    const src = wavSamples(wav);
    const s0 = onset(src);
    let best = { lag: 0, r: -1 };
    for (let lag = -s0; lag < 16000; lag += 1) {
      const r = ncc(src, s0, got, s0 + lag, 3200);
      if (r > best.r) best = { lag, r };
    }
    // lag < 0: the window's stream lacks -lag samples of the file's start (its leading silence is 8000)
    test.info().annotations.push({ type: 'capture', description: `offset ${best.lag} samples, correlation ${best.r.toFixed(3)}` });
    expect(best.lag).toBeGreaterThan(-s0 + 1600);
    // over the whole utterance, not only where it was aligned
    expect(ncc(src, s0, got, s0 + best.lag, 16000)).toBeGreaterThan(0.9);

    // undo the last device action
    await page.getByTestId('undo').click();
    await expect.poll(async () => (await deviceState('kitchen_light')).on, { timeout: 10_000 }).toBe(false);

    await page.getByTestId('nav-traces').click();
    const row = page
      .getByTestId('session-row')
      .filter({ hasText: /turn on the kitchen light/i })
      .first();
    await row.click();
    await expect(page.getByTestId('trace-detail')).toContainText('alicia/voice/audio/');
  } finally {
    await browser.close();
    await op.endAsync();
  }
});

test('typed commands: a reply in words when not understood, and a risky one asks with buttons', async ({ page }) => {
  await mosquittoPub(rt, 'alicia/device/command', JSON.stringify({ device_id: 'front_door', action: 'lock' }));
  await openApp(page, rt, 'voice');
  await page.getByTestId('mute').check();
  await typed(page, 'make me a cup of tea', 1);
  await expect(page.getByTestId('voice-result')).toHaveAttribute('data-ok', 'false');
  await expect(page.getByTestId('reply')).not.toHaveText('');
  await expect(page.getByTestId('voice-notice')).toBeVisible();
  await shot(page, '4-not-understood');

  await typed(page, 'unlock the front door', 2);
  await expect(page.getByTestId('confirm-question')).toHaveText('Unlock the front door?');
  await expect(page.getByTestId('voice-result')).toHaveAttribute('data-stage', 'confirm');
  expect((await deviceState('front_door')).locked).toBe(true);
  await shot(page, '5-question');
  await page.getByTestId('confirm-no').click();
  await expect(page.locator('[data-testid="history"] li.turn')).toHaveCount(3);
  await expect(page.getByTestId('confirm-bar')).toHaveCount(0);
  expect((await deviceState('front_door')).locked).toBe(true);

  await typed(page, 'unlock the front door', 4);
  await page.getByTestId('confirm-yes').click();
  await expect(page.locator('[data-testid="history"] li.turn')).toHaveCount(5);
  await expect(page.getByTestId('voice-result')).toHaveAttribute('data-ok', 'true');
  await expect.poll(async () => (await deviceState('front_door')).locked).toBe(false);
  await page.getByTestId('undo').click();
  await expect.poll(async () => (await deviceState('front_door')).locked, { timeout: 10_000 }).toBe(true);
});

test('a device marked in the Devices view asks before a command acts on it', async ({ page }) => {
  await openApp(page, rt, 'devices');
  // the box follows the device's retained status: it is checked once the device manager says so
  const mark = page.getByTestId('ask-first-bedroom_lamp');
  await mark.click();
  await expect(mark).toBeChecked();
  try {
    await page.getByTestId('nav-voice').click();
    await expect(page.getByTestId('examples')).toContainText('asks first');
    await typed(page, 'turn on the bedroom lamp', 1);
    await expect(page.getByTestId('confirm-question')).toHaveText('Turn on the bedroom lamp?');
  } finally {
    await page.getByTestId('nav-devices').click();
    await page.getByTestId('ask-first-bedroom_lamp').click();
    await expect(page.getByTestId('ask-first-bedroom_lamp')).not.toBeChecked();
  }
});

test('hands-free: the indicator shows the open microphone, and the listen stream is neither recorded nor kept', async () => {
  const wav = speakWav(dir, 'room', 'the weather will be sunny tomorrow', { voice: 'en-us', speed: 140 });
  const { browser, page } = await micPage(rt, wav);
  try {
    await expect(page.getByTestId('mic-indicator')).toHaveAttribute('data-open', 'false');
    await page.getByTestId('hands-free').check();
    await expect(page.getByTestId('mic-indicator')).toHaveAttribute('data-open', 'true');
    await expect(page.getByTestId('mic-indicator')).toContainText('waiting for “Alicia”');
    // the listen stream flows (the level meter moves with the fake microphone's speech) ...
    await expect
      .poll(async () => Number(await page.getByTestId('level').getAttribute('data-level')), { timeout: 10_000 })
      .toBeGreaterThan(0);
    await shot(page, '6-hands-free');
    await page.getByTestId('hands-free').uncheck();
    await expect(page.getByTestId('mic-indicator')).toHaveAttribute('data-open', 'false');
    // ... and nothing of it is in the recorder or in this window's topic tree
    const sentinel = `sentinel-${Date.now()}`;
    await mosquittoPub(rt, `alicia/broadcast/${sentinel}`, JSON.stringify({ message: 'after the listen stream' }));
    await expect
      .poll(
        async () =>
          (
            (await ask(rt, 'alicia/system/recorder/request', { query: 'messages', topic: `alicia/broadcast/${sentinel}` }))
              .messages as unknown[]
          ).length,
      )
      .toBe(1);
    const listened = await ask(rt, 'alicia/system/recorder/request', { query: 'messages', topic: 'alicia/voice/listen/#' });
    expect(listened.messages).toEqual([]);
    await page.getByTestId('nav-topics').click();
    await expect(page.getByText('listen', { exact: true })).toHaveCount(0);
  } finally {
    await browser.close();
  }
});

for (const theme of ['light', 'dark'] as const) {
  test(`the Voice view passes axe's WCAG 2 A/AA checks with a conversation, a question and the examples (${theme} theme)`, async ({
    page,
  }) => {
    await mosquittoPub(rt, 'alicia/device/command', JSON.stringify({ device_id: 'front_door', action: 'lock' }));
    await page.addInitScript((t) => localStorage.setItem('alicia.theme', t), theme);
    await openApp(page, rt, 'voice');
    await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
    await page.getByTestId('mute').check();
    await axeClean(page);
    await typed(page, 'turn on the kitchen light', 1);
    await typed(page, 'make me a cup of tea', 2);
    await typed(page, 'unlock the front door', 3);
    await expect(page.getByTestId('confirm-question')).toBeVisible();
    await screenshots(page, `voice-conversation-${theme}`);
    await axeClean(page);
    await page.getByTestId('confirm-no').click();
    await expect(page.getByTestId('confirm-bar')).toHaveCount(0);
  });
}

async function axeClean(page: Page): Promise<void> {
  const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).include('main').analyze();
  const found = r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(found).toEqual([]);
}
