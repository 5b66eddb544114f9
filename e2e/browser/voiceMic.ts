import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import type { Browser, Page } from '@playwright/test';
import type { RuntimeInfo } from '../../electron/host/headless.js';
import { openApp } from '../support/app.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/browser.js';

/** The espeak-ng voices the phrases are spoken with (the stt tests' two, services/stt/testing/speech.ts). */
export const MIC_VOICES = [
  { voice: 'en-us', speed: 140 },
  { voice: 'en-us+f3', speed: 170 },
] as const;

/**
 * An utterance as a WAV for Chromium's fake capture device: espeak-ng, then 16 kHz mono 16-bit
 * with 0.5 s of silence before (the window needs a moment to connect the microphone: speech
 * that starts before it is cut off and refused) and 2 s after (stt ends the utterance on silence).
 */
export function speakWav(dir: string, name: string, text: string, v: { voice: string; speed: number }): string {
  const raw = join(dir, `${name}.raw.wav`);
  const wav = join(dir, `${name}.wav`);
  execFileSync('espeak-ng', ['-v', v.voice, '-s', String(v.speed), '-w', raw, text]);
  execFileSync('sox', [raw, '-r', '16000', '-c', '1', '-b', '16', wav, 'pad', '0.5', '2.0']);
  return wav;
}

/**
 * A browser whose microphone plays `wav` once (%noloop; each getUserMedia starts it again), with
 * the permission granted and the spoken reply allowed to play. One browser per utterance: the
 * fake device's file is fixed at launch.
 */
export async function micPage(rt: RuntimeInfo, wav: string): Promise<{ browser: Browser; page: Page }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      ...CHROMIUM_ARGS,
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${wav}%noloop`,
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, permissions: ['microphone'] });
  const page = await context.newPage();
  await openApp(page, rt, 'voice');
  return { browser, page };
}
