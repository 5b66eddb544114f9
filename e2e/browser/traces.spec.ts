import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { collectErrors, openApp } from '../support/app.js';
import { ask } from '../support/bus.js';
import { runtimeFromEnv } from '../support/browser.js';
import { screenshots } from '../support/screens.js';

const rt = runtimeFromEnv();
const run = Date.now().toString(36);

/** A spoken command: espeak-ng's voice, 16 kHz mono, as base64 WAV. */
function spokenWav(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'alicia-traces-'));
  try {
    execFileSync('espeak-ng', ['-v', 'en-us', '-s', '140', '-w', join(dir, 'raw.wav'), text]);
    execFileSync('sox', [join(dir, 'raw.wav'), '-r', '16000', '-c', '1', '-b', '16', join(dir, 'utt.wav'), 'pad', '0.3', '0.3']);
    return readFileSync(join(dir, 'utt.wav')).toString('base64');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('Traces tell typed from spoken sessions, list readable payloads with their sizes, and open and export any message', async ({
  page,
}) => {
  const errors = collectErrors(page);
  // a question each (they change no device): typed, then spoken
  const typed = await ask(rt, 'alicia/voice/command', { session_id: `typed-${run}`, text: 'is the kitchen light on', speak: false });
  const spoken = await ask(
    rt,
    'alicia/voice/command',
    { session_id: `spoken-${run}`, audio_data: spokenWav('is the kitchen light on') },
    45_000,
  );
  expect(typed).toMatchObject({ ok: true });
  expect(spoken).toMatchObject({ ok: true });
  await openApp(page, rt, 'traces');

  const typedRow = page.locator(`[data-testid="session-row"][data-trace="${String(typed.trace_id)}"]`);
  const spokenRow = page.locator(`[data-testid="session-row"][data-trace="${String(spoken.trace_id)}"]`);
  await expect(typedRow.getByTestId('input-kind')).toHaveAttribute('data-input', 'text');
  await expect(typedRow.getByTestId('input-kind')).toHaveAttribute('title', 'typed');
  await expect(spokenRow.getByTestId('input-kind')).toHaveAttribute('data-input', 'audio');
  await expect(spokenRow.getByTestId('input-kind')).toHaveAttribute('title', 'spoken');

  await spokenRow.click();
  const detail = page.getByTestId('trace-detail');
  await expect(detail.getByTestId('input-kind')).toContainText('spoken');
  const msgs = detail.getByTestId('trace-message');
  await expect(msgs.first()).toContainText('alicia/voice/command');
  await expect(msgs.filter({ hasText: 'alicia/voice/result' })).toHaveCount(1);
  // sizes for people; payloads by their body, audio by its size, never the envelope's first bytes
  const sizes = await detail.getByTestId('trace-message-size').allInnerTexts();
  for (const s of sizes) expect(s).toMatch(/^\d+(\.\d)? (B|KB|MB)( \(cut\))?$/);
  expect(sizes[0]).toMatch(/^\d+ KB$/);
  const payloads = await detail.locator('.payload-cell').allInnerTexts();
  for (const p of payloads) expect(p.startsWith('{"v":')).toBe(false);
  // (the command is longer than the 64 KiB a trace answer carries per message: its audio is only marked)
  expect(payloads[0]).toMatch(/^\{"audio_data":"⟨audio/);
  // the window's own recorder queries are not part of the trace they read
  await expect(msgs.filter({ hasText: 'alicia/system/recorder/request' })).toHaveCount(0);
  await screenshots(page, 'traces-spoken');

  // the TTS reply (over the 64 KiB a trace answer carries per message) opens whole
  const reply = msgs.filter({ hasText: 'alicia/voice/tts/result' }).first();
  const replySize = await reply.getByTestId('trace-message-size').innerText();
  await reply.click();
  const dialog = page.getByTestId('message-dialog');
  await expect(dialog.getByTestId('envelope')).toContainText('source');
  await expect(dialog.getByTestId('envelope')).toContainText('tts');
  await expect(dialog.getByTestId('payload-size')).toHaveText(replySize);
  const audio = String((spoken as { audio_data?: string }).audio_data ?? '');
  expect(audio.length).toBeGreaterThan(1000);
  await expect(dialog.locator('[data-path="/audio_data"]')).toContainText(`${audio.length.toLocaleString('en-US')} chars`);
  await screenshots(page, 'traces-message');
  const [saved] = await Promise.all([page.waitForEvent('download'), dialog.getByTestId('save-payload').click()]);
  const body = JSON.parse(await readFile(await saved.path(), 'utf8')) as { audio_data: string; trace_id: string };
  expect(body.audio_data).toBe(audio);
  expect(body.trace_id).toBe(spoken.trace_id);
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);

  // the whole trace as JSON: one entry per message of the list, in order
  await detail.getByTestId('export-format').selectOption('json');
  const [exported] = await Promise.all([page.waitForEvent('download'), detail.getByTestId('export').click()]);
  const list = JSON.parse(await readFile(await exported.path(), 'utf8')) as { topic: string }[];
  const topics = await msgs.locator('td:nth-child(2)').allInnerTexts();
  expect(list.map((m) => m.topic)).toEqual(topics);
  expect(errors).toEqual([]);
});
