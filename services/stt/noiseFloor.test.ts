import { describe, expect, it } from 'vitest';
import { NoiseFloor, addNoiseFloor } from './noiseFloor.js';

describe('noise floor', () => {
  it('gives a stream piece by piece exactly the noise the whole utterance gets, at about -60 dBFS', () => {
    const pcm = new Int16Array(16000).map((_, i) => Math.round(8000 * Math.sin(i / 7)));
    const whole = addNoiseFloor(pcm);
    const floor = new NoiseFloor();
    const pieces: number[] = [];
    for (const n of [1, 159, 1600, 3333, 10907]) pieces.push(...floor.add(pcm.subarray(pieces.length, pieces.length + n)));
    expect(pieces.length).toBe(pcm.length);
    expect(Int16Array.from(pieces)).toEqual(whole);
    const silence = addNoiseFloor(new Int16Array(16000));
    const rms = Math.sqrt(silence.reduce((a, x) => a + x * x, 0) / silence.length) / 32768;
    expect(20 * Math.log10(rms)).toBeCloseTo(-60, 0);
  });
});
