import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunks, pcmOf } from './testing/decoderSuite.js';
import { SpeechCorpus } from './testing/speech.js';
import { WakeWordDetector } from './wakeWord.js';

/**
 * The wake-word detector on real espeak-ng speech fed in 100 ms chunks, as a listening stream
 * delivers it. How often it wakes and falsely wakes over many voices and minutes is measured by
 * `npm run bench` (recognition); here: the behaviour.
 */
const speech = new SpeechCorpus();
const audio: Record<string, Int16Array> = {};
const detector = new WakeWordDetector({ phrase: 'Alicia' });

async function feed(d: WakeWordDetector, pcm: Int16Array): Promise<number[]> {
  const ends: number[] = [];
  for (const c of chunks(pcm, 100)) {
    const r = await d.process(c);
    if (r.woke) ends.push(r.endMs!);
  }
  return ends;
}

beforeAll(async () => {
  const sentences = ['alicia, turn on the kitchen light', 'please call my mother', 'what a lovely day it is'];
  const wavs = await speech.speakAll(sentences.map((text) => ({ text })));
  sentences.forEach((s, i) => (audio[s] = pcmOf(wavs[i]!)));
  await detector.start();
}, 60_000);

afterAll(async () => {
  await detector.stop();
  await speech.dispose();
});

describe('WakeWordDetector', () => {
  it('wakes once on "alicia, <command>", and says where the phrase ended: before the command', async () => {
    detector.reset();
    const pcm = audio['alicia, turn on the kitchen light']!;
    const ends = await feed(detector, pcm);
    expect(ends).toHaveLength(1);
    // the 0.3 s pad + "alicia" (~0.5 s): the end is past the pad and well before the end of the command
    expect(ends[0]).toBeGreaterThan(300);
    expect(ends[0]).toBeLessThan((pcm.length / 16000) * 1000 - 800);
  });

  it('does not wake on speech without the phrase', async () => {
    detector.reset();
    expect(await feed(detector, audio['please call my mother']!)).toEqual([]);
    expect(await feed(detector, audio['what a lovely day it is']!)).toEqual([]);
  });

  it('keeps its clock across chunks until reset(): the same phrase later in the stream ends later', async () => {
    detector.reset();
    const first = await feed(detector, audio['alicia, turn on the kitchen light']!);
    const second = await feed(detector, audio['alicia, turn on the kitchen light']!);
    expect(first).toHaveLength(1);
    expect(second).toHaveLength(1);
    const len = (audio['alicia, turn on the kitchen light']!.length / 16000) * 1000;
    expect(second[0]! - first[0]!).toBeGreaterThan(len - 200);
    expect(second[0]! - first[0]!).toBeLessThan(len + 200);
  });

  it('refuses an empty phrase and use before start (coded errors); stop runs twice', async () => {
    await expect(new WakeWordDetector({ phrase: '  ' }).start()).rejects.toMatchObject({ code: 'STT_ENGINE_FAILED' });
    const d = new WakeWordDetector({ phrase: 'alicia' });
    await expect(d.process(new Int16Array(1600))).rejects.toMatchObject({ code: 'STT_ENGINE_MISSING' });
    await d.start();
    await d.stop();
    await d.stop();
    await expect(d.process(new Int16Array(1600))).rejects.toMatchObject({ code: 'STT_ENGINE_MISSING' });
  });
});
