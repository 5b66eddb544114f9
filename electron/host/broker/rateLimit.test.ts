import { describe, expect, it } from 'vitest';
import { ClientRateLimiter, TokenBucket } from './rateLimit.js';

describe('TokenBucket', () => {
  it('allows a burst, then refills at the rate', () => {
    const b = new TokenBucket(10 / 1000, 5, 0); // 10 msg/s, burst 5
    let ok = 0;
    for (let i = 0; i < 8; i++) if (b.take(0)) ok++;
    expect(ok).toBe(5);
    expect(b.take(50)).toBe(false); // half a token
    expect(b.take(100)).toBe(true); // one token after 100 ms
    expect(b.take(100)).toBe(false);
    // long idle refills only up to the burst
    let later = 0;
    for (let i = 0; i < 10; i++) if (b.take(60_000)) later++;
    expect(later).toBe(5);
  });
});

describe('ClientRateLimiter', () => {
  it('keeps one bucket per client: one over the limit does not affect another', () => {
    let now = 0;
    const lim = new ClientRateLimiter({ messagesPerSecond: 100, burst: 3 }, () => now);
    const a = {};
    const b = {};
    expect([lim.allow(a), lim.allow(a), lim.allow(a), lim.allow(a)]).toEqual([true, true, true, false]);
    expect(lim.allow(b)).toBe(true);
    now += 10; // 1 token for a
    expect(lim.allow(a)).toBe(true);
    expect(lim.allow(a)).toBe(false);
  });

  it('sustains exactly the configured rate over time', () => {
    let now = 0;
    const lim = new ClientRateLimiter({ messagesPerSecond: 2000, burst: 5000 }, () => now);
    const c = {};
    let ok = 0;
    // 10 s at 4,000 msg/s offered (one every 0.25 ms): burst + 10 s x 2,000
    for (let i = 0; i < 40_000; i++) {
      now = i * 0.25;
      if (lim.allow(c)) ok++;
    }
    expect(ok).toBeGreaterThanOrEqual(5000 + 19_990);
    expect(ok).toBeLessThanOrEqual(5000 + 20_001);
  });

  it('rejects nonsense options', () => {
    expect(() => new ClientRateLimiter({ messagesPerSecond: 0, burst: 1 })).toThrow(RangeError);
    expect(() => new ClientRateLimiter({ messagesPerSecond: 1, burst: 0 })).toThrow(RangeError);
  });
});
