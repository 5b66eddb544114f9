import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWav } from '../lib/audio/wav.js';
import { buildGrammar, loadDictionaryWords } from '../lib/language/grammar.js';
import { defaultHomeRegistry } from '../lib/language/testing/defaultHome.js';
import { PocketsphinxEngine } from './pocketsphinxEngine.js';
import type { SttEngine, SttRecognition } from './sttEngine.js';
import { joinPcm } from './testing/audioChunks.js';
import { SpeechCorpus, VOICES } from './testing/speech.js';
import { trimSilence } from './trimSilence.js';
import { wholeStream } from './wholeStream.js';

/**
 * A streamed utterance recognised whole (voice.decode "whole", the default) on the real engine with
 * the service's default grammar (JSGF): it starts recognising before the end, once the silence the
 * engine keeps after the speech has arrived, and still answers exactly what the whole audio gets.
 */
const engine = new PocketsphinxEngine();
/** the same engine a second time, for the whole audio: it decodes everything `engine` did, in the same order (see reference()) */
const twin = new PocketsphinxEngine();
const corpus = new SpeechCorpus();
const CHUNK = 1600; // 100 ms, as the window sends

beforeAll(async () => {
  const jsgf = buildGrammar(defaultHomeRegistry(), loadDictionaryWords()).jsgf;
  for (const e of [engine, twin]) {
    await e.start();
    await e.setGrammar(jsgf);
  }
}, 60_000);
afterAll(async () => {
  await engine.stop();
  await twin.stop();
  await corpus.dispose();
});

/** every audio `engine` recognised, in order; the twin has replayed the first `replayed` */
const decoded: Int16Array[] = [];
let replayed = 0;

/** The engine as the stream sees it, counting its recognitions: how long each audio was, how many ran at once. */
function watched(): { engine: SttEngine; lengths: number[]; mostAtOnce: () => number } {
  const lengths: number[] = [];
  let running = 0;
  let most = 0;
  return {
    engine: {
      name: engine.name,
      trim: engine.trim,
      start: () => engine.start(),
      stop: () => engine.stop(),
      setGrammar: (g, k) => engine.setGrammar(g, k),
      recognize: async (pcm, kind) => {
        lengths.push(pcm.length);
        decoded.push(pcm.slice());
        most = Math.max(most, ++running);
        try {
          return await engine.recognize(pcm, kind);
        } finally {
          running--;
        }
      },
    },
    lengths,
    mostAtOnce: () => most,
  };
}

/** The speech alone, its silence trimmed off. */
async function speech(text: string, voice = VOICES[0]!): Promise<Int16Array> {
  return trimSilence(parseWav(await corpus.speak(text, voice), 'INTERNAL').samples, 16000, { padMs: 0 }).samples.slice();
}

/** Feed in 100 ms chunks, every `everyMs` (real time, as the window sends) or all at once, then finish. */
async function stream(e: SttEngine, pcm: Int16Array, everyMs = 0): Promise<{ result: SttRecognition }> {
  const s = wholeStream(e);
  const t0 = performance.now();
  for (let i = 0, at = 0; at < pcm.length; i++, at += CHUNK) {
    const wait = t0 + i * everyMs - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await s.feed(pcm.subarray(at, at + CHUNK));
  }
  return { result: await s.finish() };
}

const same = (r: SttRecognition) => ({
  text: r.text,
  understood: r.understood,
  reason: r.reason,
  margin: r.details?.margin,
  frames: r.details?.frames,
});

/**
 * What the whole audio gets, on the twin. pocketsphinx's decoders keep some state from one utterance
 * to the next (measured: the same audio scores a few units apart after different utterances; the
 * acoustic model's top-N Gaussians carry over), so the twin first decodes everything the stream's
 * engine decoded before its answer (earlier tests, early starts it dropped), in the same order: then
 * the two are in the same state, and "the same answer" can be exact, margin included.
 */
async function reference(pcm: Int16Array): Promise<SttRecognition> {
  for (const d of decoded.slice(replayed, -1)) await twin.recognize(d);
  replayed = decoded.length;
  return twin.recognize(pcm);
}

describe('wholeStream', () => {
  it('starts on the audio so far once the silence kept after the speech is in, and answers what the whole audio gets', async () => {
    expect(engine.trim?.padEndMs).toBeLessThanOrEqual(90);
    for (const voice of VOICES) {
      // the speech and 150 ms of silence, then final (a user letting go), the last chunk 60 ms long: the
      // chunk before it ends 90 ms after the speech, where the silence the engine keeps is all in
      const spoken = await speech('turn off the kitchen light', voice);
      const lead = 150 * 16 + (((((60 - 150 - 150) * 16 - spoken.length) % CHUNK) + CHUNK) % CHUNK);
      const pcm = joinPcm(new Int16Array(lead), spoken, 150);
      expect(pcm.length % CHUNK).toBe(60 * 16);
      const w = watched();
      const { result } = await stream(w.engine, pcm);
      const whole = await reference(pcm);
      expect(same(result)).toEqual(same(whole));
      expect(whole).toMatchObject({ understood: true, text: expect.stringMatching(/^turn off the kitchen lights?$/) as string });
      // one recognition, started before the last chunk, and none again at the end
      expect(w.lengths).toHaveLength(1);
      expect(w.lengths[0]).toBeLessThan(pcm.length);
    }
  });

  it('drops an early start when speech follows, and starts again once the silence after the rest is in', async () => {
    // a pause long enough to start on the first command alone, then more speech: that first guess is stale
    const pcm = joinPcm(150, await speech('turn on the kitchen light'), 700, await speech('lock the front door'), 600);
    const w = watched();
    const { result } = await stream(w.engine, pcm, 100);
    expect(w.lengths).toHaveLength(2);
    expect(same(result)).toEqual(same(await reference(pcm)));
    expect(w.lengths[0]).toBeLessThan(pcm.length / 2);
    expect(w.lengths[1]).toBeLessThan(pcm.length);
    expect(w.mostAtOnce()).toBe(1);
  });

  it('does not pile up early starts when chunks come faster than recognitions end', async () => {
    const pcm = joinPcm(150, await speech('turn on the kitchen light'), 700, await speech('lock the front door'), 600);
    const w = watched();
    const { result } = await stream(w.engine, pcm);
    expect(same(result)).toEqual(same(await reference(pcm)));
    // the one started in the pause, then the whole at the end: the chunks that came while it ran started none
    expect(w.lengths).toHaveLength(2);
    expect(w.lengths[0]).toBeLessThan(pcm.length / 2);
    expect(w.lengths[1]).toBe(pcm.length);
  });

  it('answers from the whole audio when the stream ends before the silence after the speech is in', async () => {
    const pcm = joinPcm(150, await speech('what time is it'));
    const w = watched();
    const { result } = await stream(w.engine, pcm);
    expect(same(result)).toEqual(same(await reference(pcm)));
    expect(w.lengths).toEqual([pcm.length]);
  });
});
