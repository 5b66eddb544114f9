import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { examplePhrases } from '../../services/lib/language/examples.js';
import { parseHomeFile } from '../../services/device-manager/homeFile.js';
import { ROOT } from '../support/host.js';
import { openApp } from '../support/app.js';
import { mosquittoPub } from '../support/bus.js';
import { runtimeFromEnv } from '../support/browser.js';
import { MIC_VOICES, micPage, speakWav } from './voiceMic.js';

/**
 * Every example phrase of the README and of the Voice view's "What can I say?" panel (one per
 * intent family), spoken through the window's microphone: Chromium's fake capture device plays an
 * espeak-ng WAV, one browser per phrase, in two voices. Each must come back as its intent family
 * (a risky one as a question), never as another intent.
 */
const rt = runtimeFromEnv();

interface Phrase {
  text: string;
  intent: string;
  /** typed first in the same conversation ("turn it off" needs an "it") */
  before?: string;
  /** the command asks first: the result is a question, nothing is done yet */
  asks?: boolean;
}

/** The README's examples (Using it > Voice). */
const README: Phrase[] = [
  { text: 'turn on the kitchen light', intent: 'turn_on' },
  { text: 'set the living room light to fifty percent', intent: 'set_brightness' },
  { text: 'lock the front door', intent: 'lock' },
  { text: 'what is the temperature in the hallway', intent: 'get_temperature' },
  { text: 'turn it off', intent: 'turn_off', before: 'turn on the kitchen light' },
];
/** The panel's, for the default home (resources/home.json, as the device manager loads it; the same function the panel calls). */
const HOME = join(ROOT, 'resources', 'home.json');
const home = parseHomeFile(readFileSync(HOME, 'utf8'), HOME).map((d) => ({ ...d, device_id: d.id, online: true }));
const PANEL: Phrase[] = examplePhrases(home).map((e) => ({ text: e.phrase, intent: e.intent, asks: e.intent === 'unlock' }));
const PHRASES = [...README, ...PANEL.filter((p) => !README.some((r) => r.text === p.text))];

const inWorker = process.env.TEST_WORKER_INDEX !== undefined;
const dir = inWorker ? mkdtempSync(join(tmpdir(), 'alicia-phrases-')) : '';
test.afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("the README's Voice examples are exactly the ones spoken below", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const bullet = /^- \*\*Voice\*\*:([\s\S]*?)(?=\n\n|\n- \*\*)/m.exec(readme)?.[1] ?? '';
  const examples = bullet.slice(0, bullet.indexOf('it stops')).replace(/\s+/g, ' ');
  expect([...examples.matchAll(/"([a-z ]+)"/g)].map((m) => m[1])).toEqual(README.map((p) => p.text));
});

test('the "What can I say?" panel offers one phrase per intent family, the ones spoken below', async ({ page }) => {
  await openApp(page, rt, 'voice');
  const shown = page.getByTestId('example');
  await expect(shown).toHaveCount(PANEL.length);
  expect(await shown.allTextContents()).toEqual(PANEL.map((p) => `“${p.text}”`));
});

// One retry, reported by Playwright as "flaky" (never silent), for a loaded machine: at load ~22 one
// capture in 18 ended STT_STREAM_TIMEOUT (the browser's audio starved for 2 s). The mishearing this retry
// once covered ("set the thermostat to heat" heard as "dim the thermostat to thirty" in 5 of 10 captures at
// that load) was the recogniser depending on where the audio started within a 10 ms frame, fixed in stt
// (the noise floor; services/stt/sttService.test.ts shifts the audio through a frame): 0 of 18 since.
test.describe.configure({ retries: 1 });

let n = 0;
for (const v of MIC_VOICES) {
  for (const p of PHRASES) {
    test(`"${p.text}" (${v.voice}, ${v.speed} wpm) through the microphone is ${p.intent}`, async () => {
      // the door locked, lights off: every phrase starts from the same home
      await mosquittoPub(rt, 'alicia/device/command', JSON.stringify({ device_id: 'front_door', action: 'lock' }));
      const wav = speakWav(dir, `p${n++}`, p.text, v);
      const { browser, page } = await micPage(rt, wav);
      try {
        const turns = page.locator('[data-testid="history"] li.turn');
        let expected = 1;
        if (p.before) {
          await page.getByTestId('typed-command').fill(p.before);
          await page.getByTestId('typed-command').press('Enter');
          await expect(turns).toHaveCount(1, { timeout: 30_000 });
          expected = 2;
        }
        await page.getByTestId('mic').click();
        await expect(turns).toHaveCount(expected, { timeout: 40_000 });
        const result = page.getByTestId('voice-result');
        const heard = await page.getByTestId('transcription').textContent();
        await expect(page.getByTestId('intent'), `heard "${heard ?? ''}"`).toHaveText(p.intent);
        if (p.asks) {
          await expect(result).toHaveAttribute('data-stage', 'confirm');
          await expect(page.getByTestId('confirm-question')).toHaveText(/\?$/);
        } else {
          await expect(result).toHaveAttribute('data-ok', 'true');
        }
      } finally {
        await browser.close();
      }
    });
  }
}
