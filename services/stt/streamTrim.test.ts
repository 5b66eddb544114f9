import { describe, expect, it } from 'vitest';
import { StreamTrim } from './streamTrim.js';
import { trimSilence } from './trimSilence.js';
import type { TrimOptions } from './trimSilence.js';

/** Audio with silence, bursts of tone and pauses at known places (16 kHz). */
function scene(parts: [ms: number, amplitude: number][]): Int16Array {
  const out: number[] = [];
  for (const [ms, amp] of parts) for (let i = 0; i < (ms * 16000) / 1000; i++) out.push(Math.round(amp * Math.sin(i / 5)));
  return Int16Array.from(out);
}

function streamed(audio: Int16Array, chunkSizes: number[], opts: TrimOptions = {}): Int16Array {
  const t = new StreamTrim(16000, opts);
  const pieces: Int16Array[] = [];
  let at = 0;
  for (let k = 0; at < audio.length; k++) {
    const n = chunkSizes[k % chunkSizes.length]!;
    pieces.push(t.push(audio.subarray(at, at + n)));
    at += n;
  }
  pieces.push(t.finish());
  return Int16Array.from(pieces.flatMap((p) => [...p]));
}

describe('StreamTrim (trimSilence for audio in pieces)', () => {
  const cases: [string, Int16Array][] = [
    [
      'speech with a pause inside and silence around it',
      scene([
        [600, 0],
        [400, 8000],
        [300, 0],
        [500, 6000],
        [900, 0],
      ]),
    ],
    [
      'speech from the first sample',
      scene([
        [700, 9000],
        [400, 0],
      ]),
    ],
    [
      'speech to the last sample',
      scene([
        [500, 0],
        [700, 9000],
      ]),
    ],
    [
      'a quiet onset under the threshold before speech',
      scene([
        [300, 0],
        [200, 200],
        [500, 9000],
        [200, 0],
      ]),
    ],
    ['no speech at all', scene([[1000, 100]])],
  ];
  for (const [what, audio] of cases) {
    it(`gives exactly trimSilence's samples for ${what}, whatever the chunking`, () => {
      const whole = trimSilence(audio, 16000).samples;
      for (const sizes of [[1600], [320], [333, 1901, 77], [audio.length]]) {
        expect(streamed(audio, sizes), `chunks ${sizes.join('/')}`).toEqual(whole);
      }
    });
  }

  it("gives exactly trimSilence's samples with a shorter pad after the speech, whatever the chunking", () => {
    const audio = cases[0]![1];
    const opts = { padMs: 150, padEndMs: 70 };
    const whole = trimSilence(audio, 16000, opts).samples;
    expect(whole.length).toBeLessThan(trimSilence(audio, 16000, { padMs: 150 }).samples.length);
    for (const sizes of [[1600], [333, 1901, 77]]) expect(streamed(audio, sizes, opts), `chunks ${sizes.join('/')}`).toEqual(whole);
  });

  it('hands speech to the decoder while it arrives, holding back only silence', () => {
    const t = new StreamTrim(16000);
    expect(t.push(scene([[500, 0]])).length).toBe(0); // leading silence: nothing yet
    expect(t.push(scene([[200, 8000]])).length).toBe((350 * 16000) / 1000); // 150 ms pad + the speech
    expect(t.push(scene([[400, 0]])).length).toBe(0); // a pause is held...
    expect(t.push(scene([[100, 8000]])).length).toBe((500 * 16000) / 1000); // ...and released when speech goes on
  });
});
