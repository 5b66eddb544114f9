import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker } from '../../electron/host/broker/testing/testBroker.js';
import type { TestBroker } from '../../electron/host/broker/testing/testBroker.js';
import { parseWav, rms } from '../lib/audio/wav.js';
import { OperatorClient } from '../voice-router/testing/operatorClient.js';
import { TtsService } from './ttsService.js';
import type { TtsServiceOptions } from './ttsService.js';

const REQ = 'alicia/voice/tts/request';
const RESULT = 'alicia/voice/tts/result';
const ERROR = 'alicia/voice/tts/error';

let broker: TestBroker;
let op: OperatorClient;

beforeAll(async () => {
  broker = await startTestBroker();
  op = await OperatorClient.connect(broker.url, broker.credentials.operator);
  await op.subscribe(RESULT, ERROR, 'alicia/health/heartbeat/tts');
});
afterAll(async () => {
  await op?.close();
  await broker?.stop();
});

async function withTts<T>(opts: Omit<TtsServiceOptions, 'connection'>, fn: (svc: TtsService) => Promise<T>): Promise<T> {
  const cred = broker.credentials.tts;
  const svc = new TtsService({ ...opts, connection: { url: broker.url, username: cred.username, password: cred.password } });
  await svc.start();
  try {
    return await fn(svc);
  } finally {
    await svc.stop();
  }
}

async function say(body: Record<string, unknown>, timeoutMs = 10_000) {
  const { correlation_id } = await op.send(REQ, body);
  return op.reply(correlation_id, timeoutMs);
}

describe('tts service (espeak-ng WASM through a real broker)', () => {
  it('speaks a sentence as a valid 16-bit mono WAV of plausible length that is not silence', async () => {
    await withTts({}, async (svc) => {
      expect(svc.engineName).toBe('espeak-ng-wasm');
      const r = await say({ text: 'Turned on the kitchen light.' });
      expect(r.topic).toBe(RESULT);
      const m = r.msg;
      expect(m.ok).toBe(true);
      expect(m.engine).toBe('espeak-ng-wasm');
      expect(m.format).toEqual({ container: 'wav', sample_rate: 22050, channels: 1, bits: 16 });
      const wav = parseWav(Buffer.from(m.audio_data as string, 'base64'), 'INTERNAL');
      expect(wav.sampleRate).toBe(22050);
      expect(wav.channels).toBe(1);
      const seconds = wav.samples.length / wav.sampleRate;
      // five words at 175 wpm: about 1.3 s measured; anything from 0.6 to 4 s is speech, not garbage
      expect(seconds).toBeGreaterThan(0.6);
      expect(seconds).toBeLessThan(4);
      expect(Math.abs((m.duration_ms as number) - seconds * 1000)).toBeLessThan(2);
      expect(rms(wav.samples)).toBeGreaterThan(0.02);
      // a longer sentence gives longer audio: the engine really reads the text
      const longer = await say({ text: 'Turned on the kitchen light, the living room light and the bedroom lamp.' });
      expect(longer.msg.duration_ms as number).toBeGreaterThan((m.duration_ms as number) * 1.5);
      // the rate is honoured: faster speech is shorter
      const fast = await say({ text: 'Turned on the kitchen light.', rate: 350 });
      expect(fast.msg.duration_ms as number).toBeLessThan((m.duration_ms as number) * 0.8);
    });
  });

  it('answers bad input with coded errors on the error topic and keeps serving', async () => {
    await withTts({ config: { max_chars: 100 } }, async () => {
      const empty = await say({ text: '' });
      expect(empty.topic).toBe(ERROR);
      expect((empty.msg.error as { code: string }).code).toBe('TTS_EMPTY_TEXT');

      const onlyControl = await say({ text: ' \u0000\u0007\n\t ' });
      expect((onlyControl.msg.error as { code: string }).code).toBe('TTS_EMPTY_TEXT');

      const long = await say({ text: 'a'.repeat(101) });
      expect(long.topic).toBe(ERROR);
      const err = long.msg.error as { code: string; message: string };
      expect(err.code).toBe('TTS_TEXT_TOO_LONG');
      expect(err.message).toContain('101');
      expect(err.message).toContain('100');

      const voice = await say({ text: 'hello', voice: 'no-such-voice' });
      expect((voice.msg.error as { code: string }).code).toBe('TTS_VOICE_UNKNOWN');

      const notText = await say({ text: 42 });
      expect((notText.msg.error as { code: string }).code).toBe('SCHEMA_INVALID');

      // still serving, and control characters inside a sentence are spoken around, not rejected
      const ok = await say({ text: 'turn\u0000 on the\u001b light' });
      expect(ok.topic).toBe(RESULT);
      expect(ok.msg.ok).toBe(true);
      // and the voice the bad request asked for did not stick
      const again = await say({ text: 'hello' });
      expect(again.topic).toBe(RESULT);
    });
  });

  it('speaks markup characters instead of obeying them (espeak-ng reads SSML)', async () => {
    await withTts({}, async () => {
      const r = await say({ text: 'wait <break time="8s"/> done' });
      expect(r.topic).toBe(RESULT);
      // obeyed, the break alone would be 8 s
      expect(r.msg.duration_ms as number).toBeLessThan(6000);
    });
  });

  it('gives up on a synthesis that overruns its deadline with TTS_TIMEOUT, then recovers', async () => {
    await withTts({ config: { timeout_ms: 400, max_chars: 5000 } }, async () => {
      // ~4900 characters take well over a second to synthesise, even warm on an idle machine
      const sentence = 'The quick brown fox jumps over the lazy dog near the kitchen window. ';
      const r = await say({ text: sentence.repeat(70) });
      expect(r.topic).toBe(ERROR);
      expect((r.msg.error as { code: string }).code).toBe('TTS_TIMEOUT');
      // the engine was replaced; a short word gets through again once the fresh one has loaded
      // (a fresh engine loads and warms up for ~0.5-4 s depending on load; requests meanwhile time out)
      let ok = false;
      for (let i = 0; i < 30 && !ok; i++) {
        const s = await say({ text: 'ok' });
        ok = s.topic === RESULT;
        if (!ok) await new Promise((res) => setTimeout(res, 500));
      }
      expect(ok).toBe(true);
    });
  });

  it('falls back to the espeak-ng program when the WASM engine cannot load, and reports degraded', async () => {
    await withTts({ wasmModule: '/nonexistent/espeak-ng.js', heartbeatMs: 200 }, async (svc) => {
      expect(svc.engineName).toBe('espeak-ng-cli');
      const r = await say({ text: 'Turned on the kitchen light.' });
      expect(r.topic).toBe(RESULT);
      expect(r.msg.engine).toBe('espeak-ng-cli');
      const wav = parseWav(Buffer.from(r.msg.audio_data as string, 'base64'), 'INTERNAL');
      expect(wav.samples.length / wav.sampleRate).toBeGreaterThan(0.6);
      expect(rms(wav.samples)).toBeGreaterThan(0.02);
      const hb = await op.waitFor(
        (x) => x.topic === 'alicia/health/heartbeat/tts' && x.msg.status === 'degraded',
        5_000,
        'a degraded heartbeat',
      );
      expect(hb.msg.service).toBe('tts');
      const empty = await say({ text: '   ' });
      expect((empty.msg.error as { code: string }).code).toBe('TTS_EMPTY_TEXT');
    });
  });
});
