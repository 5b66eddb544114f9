import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker } from '../../electron/host/broker/testing/testBroker.js';
import type { TestBroker } from '../../electron/host/broker/testing/testBroker.js';
import { parseWav, rms, toDbfs } from '../lib/audio/wav.js';
import { defaultHomeDevices } from '../lib/language/testing/defaultHome.js';
import { seal } from '../lib/protocol/envelope.js';
import { OperatorClient } from '../voice-router/testing/operatorClient.js';
import type { WakeDetector } from './listenSites.js';
import { SttService } from './sttService.js';
import { joinPcm, sendAudio, silence16k } from './testing/audioChunks.js';
import { SpeechCorpus } from './testing/speech.js';
import { trimSilence } from './trimSilence.js';

/**
 * Streamed audio into the real stt service (real pocketsphinx, the real WebRTC VAD) through a real
 * broker: chunks on alicia/voice/audio/<session>, the result through an stt request {stream}.
 * Short limits so the failure cases end quickly.
 */
const VOICE = {
  endpoint_silence_ms: 500,
  stream_timeout_ms: 1500,
  no_speech_ms: 1500,
  max_utterance_ms: 4000,
  max_streams: 2,
  listen_timeout_ms: 2000,
};

let broker: TestBroker;
let op: OperatorClient;
let stt: SttService;
const corpus = new SpeechCorpus();
let seq = 0;
const sid = (what: string) => `${what}-${++seq}`;

/** Audio is made before the request is sent: stt waits stream_timeout_ms for a stream to start. */

/** A tone burst: the trivial stand-in for a wake phrase in the plumbing test below. */
const TONE_MS = 300;
function tone(ms: number): Int16Array {
  return Int16Array.from({ length: (ms * 16000) / 1000 }, (_, i) => Math.round(12000 * Math.sin((2 * Math.PI * 1000 * i) / 16000)));
}

/**
 * A test double for the wake-word detector, so this file tests the plumbing (listen stream ->
 * wake event -> the session after it) and not detection: the real detector (wakeWord.ts) is tested
 * by its own tests. It "hears the phrase" where a loud 1 kHz-like burst of TONE_MS ends.
 */
class ToneDetector implements WakeDetector {
  static instances = 0;
  private fed = 0;
  private loudMs = 0;
  start(): Promise<void> {
    ToneDetector.instances++;
    return Promise.resolve();
  }
  process(pcm: Int16Array): Promise<{ woke: boolean; endMs?: number }> {
    for (let at = 0; at + 320 <= pcm.length; at += 320) {
      const loud = toDbfs(rms(pcm, at, at + 320)) > -12;
      this.fed += 320;
      if (loud) this.loudMs += 20;
      else if (this.loudMs >= TONE_MS - 40) {
        this.loudMs = 0;
        return Promise.resolve({ woke: true, endMs: (this.fed - 320) / 16 });
      } else this.loudMs = 0;
    }
    return Promise.resolve({ woke: false });
  }
  reset(): void {
    this.fed = 0;
    this.loudMs = 0;
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
}

async function speech(text: string): Promise<Int16Array> {
  return parseWav(await corpus.speak(text), 'INTERNAL').samples;
}

async function ask(session: string, timeoutMs = 15_000) {
  const { correlation_id } = await op.send('alicia/voice/stt/request', { stream: session }, { session_id: session });
  return (await op.reply(correlation_id, timeoutMs)).msg;
}

beforeAll(async () => {
  broker = await startTestBroker();
  op = await OperatorClient.connect(broker.url, broker.credentials.operator);
  await op.subscribe('alicia/voice/stt/result', 'alicia/voice/stt/error', 'alicia/voice/event');
  for (const d of defaultHomeDevices()) {
    const status = seal({ origin: 'simulated', updated_at: Date.now(), ...d }, { source: 'device-manager' });
    await op.client.publishAsync(`alicia/device/status/${d.device_id}`, JSON.stringify(status), { qos: 1, retain: true });
  }
  const c = broker.credentials.stt;
  stt = new SttService({
    connection: { url: broker.url, username: c.username, password: c.password },
    config: { grammar_debounce_ms: 20, voice: VOICE },
    wakeDetector: () => new ToneDetector(),
  });
  await stt.start();
  for (let i = 0; i < 100 && stt.registry.size < 7; i++) await new Promise((r) => setTimeout(r, 50));
  await stt.grammarSettled();
}, 60_000);

afterAll(async () => {
  await stt?.stop();
  await op?.close();
  await broker?.stop();
  await corpus.dispose();
});

describe('streamed audio (alicia/voice/audio/<session>)', () => {
  it('a stream with `final` is recognised, and the window is told the utterance ended', async () => {
    const s = sid('final');
    // the speech with 150 ms of silence after it: `final` comes before the endpointer would end it
    const audio = trimSilence(await speech('turn on the kitchen light'), 16000).samples;
    const answer = ask(s);
    await sendAudio(op, { session_id: s }, audio, { final: true });
    const r = await answer;
    expect(r).toMatchObject({ ok: true, understood: true, engine: 'pocketsphinx', session_id: s });
    expect(r.transcription).toMatch(/^turn on the kitchen lights?$/);
    expect(r.endpoint).toMatchObject({ reason: 'final', endpoint_ms: 0 });
    expect(await op.waitFor((m) => m.topic === 'alicia/voice/event' && m.msg.session_id === s)).toMatchObject({
      msg: { type: 'endpoint', reason: 'final' },
    });
  });

  it('hears a streamed command exactly as the same audio sent whole: "turn it off" never comes back "turn it on"', async () => {
    // measured: decoded chunk by chunk (decode: "stream", a running cepstral mean) this audio came
    // back "turn it on", with a margin as high as correct commands get
    const s = sid('same');
    const wav = await corpus.speak('turn it off');
    const whole = await op.send('alicia/voice/stt/request', { audio_data: wav.toString('base64') });
    const answer = ask(s);
    await sendAudio(op, { session_id: s }, parseWav(wav, 'INTERNAL').samples, { final: true });
    const streamed = await answer;
    const once = (await op.reply(whole.correlation_id, 15_000)).msg;
    expect(streamed).toMatchObject({ ok: true, understood: true, transcription: 'turn it off' });
    expect(streamed.transcription).toBe(once.transcription);
  });

  it('ends the utterance by itself after the configured silence, and ignores chunks sent after that', async () => {
    const s = sid('silence');
    const audio = joinPcm(await speech('lock the front door'), silence16k(2000));
    const answer = ask(s);
    await sendAudio(op, { session_id: s }, audio, { final: false, realtime: true });
    const r = await answer;
    // "the door" is the front door's alias: this audio sits near the line between the two readings
    // (measured: either, from one synthesis to the next), and both are the same command
    expect(r).toMatchObject({ ok: true, understood: true });
    expect(r.transcription).toMatch(/^lock the (front )?door$/);
    const ep = r.endpoint as { reason: string; speech_end_ms: number; endpoint_ms: number };
    expect(ep.reason).toBe('silence');
    // the silence waited for is the configured one (counted in 20 ms frames)
    expect(ep.endpoint_ms).toBeGreaterThanOrEqual(VOICE.endpoint_silence_ms);
    expect(ep.endpoint_ms).toBeLessThan(VOICE.endpoint_silence_ms + 40);
    // the speech ends before the 2 s of silence appended to it (0.3 s of the WAV's own pad is silence too)
    expect(ep.speech_end_ms).toBeLessThan((audio.length / 16000) * 1000 - 2000);
    const events = op.received.filter((m) => m.topic === 'alicia/voice/event' && m.msg.session_id === s);
    expect(events.map((e) => e.msg.reason)).toEqual(['silence']);
    // one answer for the utterance, though chunks kept coming after its end
    expect(op.received.filter((m) => m.topic.startsWith('alicia/voice/stt/') && m.msg.session_id === s)).toHaveLength(1);
  });

  const failures: [string, string, (c: Record<string, unknown>, i: number) => Record<string, unknown> | null][] = [
    ['a missing chunk', 'STT_STREAM_GAP', (c, i) => (i === 3 ? null : c)],
    ['chunks out of order', 'STT_STREAM_GAP', (c, i) => (i === 2 ? { ...c, seq: 3 } : i === 3 ? { ...c, seq: 2 } : c)],
    [
      'a format change mid-stream',
      'STT_STREAM_FORMAT',
      (c, i) => (i === 4 ? { ...c, rate: 8000, pcm: (c.pcm as string).slice(0, 2136) } : c),
    ],
  ];
  for (const [what, code, mangle] of failures) {
    it(`ends the session with ${code} on ${what}, and frees the decoder`, async () => {
      const s = sid('bad');
      const audio = await speech('what time is it');
      const answer = ask(s);
      await sendAudio(op, { session_id: s }, audio, { mangle });
      expect(await answer).toMatchObject({ ok: false, error: { code } });
      await expectFreed();
    });
  }

  it('ends a stream that stops without final with STT_STREAM_TIMEOUT', async () => {
    const s = sid('stop');
    const audio = await speech('set the thermostat to twenty one degrees');
    const answer = ask(s);
    await sendAudio(op, { session_id: s }, audio.subarray(0, 16000), { final: false });
    expect(await answer).toMatchObject({ ok: false, error: { code: 'STT_STREAM_TIMEOUT' } });
    await expectFreed();
  });

  it('gives up on a stream with no speech (STT_NO_SPEECH) and on one that goes on too long (STT_TOO_LONG)', async () => {
    const quiet = sid('quiet');
    const q = ask(quiet);
    await sendAudio(op, { session_id: quiet }, silence16k(VOICE.no_speech_ms + 400), { final: false });
    expect(await q).toMatchObject({ ok: false, error: { code: 'STT_NO_SPEECH' } });

    const long = sid('long');
    const words = await speech('turn on the kitchen light and turn off the living room light and lock the front door');
    const l = ask(long);
    await sendAudio(op, { session_id: long }, joinPcm(words, words), { final: false, extra: { endpointing: false } });
    expect(await l).toMatchObject({ ok: false, error: { code: 'STT_TOO_LONG' } });
    await expectFreed();
  });

  it('refuses a stream whose start was cut off (its first frames are already speech): STT_CLIPPED, not a wrong command', async () => {
    // measured: "what time is it" without its first 400 ms is decoded as "play music" with a margin above the threshold
    const s = sid('clipped');
    const audio = await speech('what time is it');
    const answer = ask(s);
    await sendAudio(op, { session_id: s }, audio.subarray(16 * 400), { final: true });
    expect(await answer).toMatchObject({ ok: false, error: { code: 'STT_CLIPPED' } });
  });

  it('decodes at most max_streams at once: one more gets STT_STREAM_BUSY, and the others are unaffected', async () => {
    const audio = await speech('pause the music');
    const held = [sid('busy'), sid('busy')];
    // two streams held open (no final yet)
    for (const s of held) await sendAudio(op, { session_id: s }, audio.subarray(0, 8000), { final: false });
    const extra = sid('busy');
    const over = ask(extra);
    await sendAudio(op, { session_id: extra }, audio, { final: true });
    expect(await over).toMatchObject({ ok: false, error: { code: 'STT_STREAM_BUSY' } });
    const answers = held.map((s) => ask(s));
    for (const s of held) await sendAudio(op, { session_id: s }, audio.subarray(8000), { fromSeq: 5, final: true });
    // what was heard is recognition's business (streamed decoders normalise as they go, see
    // pocketsphinxDecoder.ts); here: both held streams were decoded to the end
    for (const a of answers) expect(await a).toMatchObject({ ok: true, understood: true, transcription: expect.stringMatching(/music/) });
    await expectFreed();
  });

  it('keeps whole-utterance requests working beside streams', async () => {
    const { correlation_id } = await op.send('alicia/voice/stt/request', {
      audio_data: (await corpus.speak('what time is it')).toString('base64'),
    });
    expect((await op.reply(correlation_id, 15_000)).msg).toMatchObject({ ok: true, transcription: 'what time is it' });
  });
});

describe('hands-free: the listen stream, the wake event and the session after it', () => {
  it('announces a wake with a new session id, and the speech after the wake phrase becomes that session', async () => {
    const wakes: string[] = [];
    const command = await speech('what time is it');
    const site = 'kitchen';
    // pre-roll, the "wake phrase", the command, its silence: twice, as one continuous listen stream
    const once = joinPcm(silence16k(500), tone(TONE_MS), silence16k(200), command, silence16k(1200));
    const sending = sendAudio(op, { site_id: site }, joinPcm(once, once), { realtime: true });
    for (let k = 0; k < 2; k++) {
      const wake = await op.waitFor(
        (m) => m.topic === 'alicia/voice/event' && m.msg.type === 'wake' && !wakes.includes(m.msg.session_id as string),
        15_000,
        'a wake event',
      );
      expect(wake.msg).toMatchObject({ site_id: site, session_id: expect.stringMatching(/^wake-kitchen-/) });
      const s = wake.msg.session_id as string;
      wakes.push(s);
      const r = await ask(s);
      expect(r).toMatchObject({ ok: true, transcription: 'what time is it', endpoint: { reason: 'silence' } });
    }
    await sending;
    expect(stt.listening.size).toBe(1);
    // a silent site is closed after listen_timeout_ms
    const closed = Date.now() + VOICE.listen_timeout_ms + 3000;
    while (stt.listening.size > 0 && Date.now() < closed) await new Promise((r) => setTimeout(r, 100));
    expect(stt.listening.size).toBe(0);
  });
});

/** No live stream left behind: every decoder is back in the pool. */
async function expectFreed(): Promise<void> {
  const until = Date.now() + 3000;
  while (stt.streams.liveCount > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  expect(stt.streams.liveCount).toBe(0);
}

describe('answers to a question (a stream started with expect: "answer")', () => {
  it('hears yes and no only when asked, and the command grammar never says them', async () => {
    for (const word of ['yes', 'no']) {
      const s = sid('answer');
      const audio = await speech(word);
      const answer = ask(s);
      await sendAudio(op, { session_id: s }, audio, { extra: { expect: 'answer' } });
      expect(await answer).toMatchObject({ ok: true, understood: true, transcription: word });
    }
    // the same "yes" as a command stream is not a command
    const s = sid('not-asked');
    const audio = await speech('yes');
    const answer = ask(s);
    await sendAudio(op, { session_id: s }, audio);
    expect(await answer).not.toMatchObject({ transcription: 'yes' });
  });
});
