import { describe, expect, it } from 'vitest';
import { concatPcm } from './pcm.js';

describe('concatPcm', () => {
  it('puts the pieces one after the other in a new array', () => {
    const a = Int16Array.of(1, -2);
    const b = new Int16Array(0);
    const c = Int16Array.of(3, 32767, -32768);
    const out = concatPcm([a, b, c]);
    expect([...out]).toEqual([1, -2, 3, 32767, -32768]);
    out[0] = 9;
    expect(a[0]).toBe(1);
  });

  it('reads views at their own offset', () => {
    const whole = Int16Array.of(5, 6, 7, 8);
    expect([...concatPcm([whole.subarray(2), whole.subarray(0, 1)])]).toEqual([7, 8, 5]);
    expect(concatPcm([]).length).toBe(0);
  });
});
