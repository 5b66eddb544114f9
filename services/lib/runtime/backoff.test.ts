import { describe, expect, it } from 'vitest';
import { backoffDelay, retry } from './backoff.js';

describe('backoff', () => {
  it('grows exponentially and is capped', () => {
    const mid = () => 0.5; // no jitter effect
    expect([0, 1, 2, 3].map((n) => backoffDelay(n, { initialMs: 100, factor: 2, maxMs: 500 }, mid))).toEqual([100, 200, 400, 500]);
  });
  it('jitter stays within the band', () => {
    for (let i = 0; i < 100; i++) {
      const d = backoffDelay(2, { initialMs: 100, jitter: 0.2 });
      expect(d).toBeGreaterThanOrEqual(320);
      expect(d).toBeLessThanOrEqual(480);
    }
  });
  it('with jitter 0 it is exactly min(max, initial * 2 ** n), the restart delay of the supervisor and the recorder', () => {
    const noRandom = () => {
      throw new Error('jitter 0 must not draw a random number');
    };
    for (const [initialMs, maxMs] of [
      [500, 30_000],
      [200, 2_000],
      [100, 5_000],
      [33.3, 1_000],
    ] as const) {
      for (let n = 0; n <= 40; n++) {
        expect(backoffDelay(n, { initialMs, maxMs, jitter: 0 }, noRandom)).toBe(Math.min(maxMs, initialMs * 2 ** n));
      }
    }
  });
  it('retries transient failures then succeeds, waiting the backoff in between', async () => {
    const waits: number[] = [];
    let n = 0;
    const v = await retry(
      async () => {
        if (n++ < 2) throw new Error('transient');
        return 'ok';
      },
      { retries: 3, initialMs: 10, jitter: 0, sleep: async (ms) => void waits.push(ms) },
    );
    expect(v).toBe('ok');
    expect(waits).toEqual([10, 20]);
  });
  it('gives up after the retries and rethrows the last error; respects shouldRetry', async () => {
    let n = 0;
    await expect(retry(async () => Promise.reject(new Error(`e${n++}`)), { retries: 2, sleep: async () => {} })).rejects.toThrow('e2');
    n = 0;
    await expect(
      retry(async () => Promise.reject(new Error(`e${n++}`)), { retries: 5, shouldRetry: () => false, sleep: async () => {} }),
    ).rejects.toThrow('e0');
  });
});
