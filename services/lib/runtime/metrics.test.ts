import { describe, expect, it } from 'vitest';
import { LatencyRing, ServiceMetrics } from './metrics.js';

describe('metrics', () => {
  it('percentiles of handler latency', () => {
    const r = new LatencyRing(1000);
    for (let i = 1; i <= 100; i++) r.add(i);
    const s = r.summary();
    expect(s.p50).toBe(51);
    expect(s.p95).toBe(96);
    expect(s.p99).toBe(100);
    expect(s.count).toBe(100);
  });
  it('the ring keeps only recent samples but counts all', () => {
    const r = new LatencyRing(10);
    for (let i = 0; i < 50; i++) r.add(i < 40 ? 1000 : 1);
    expect(r.summary().p99).toBe(1);
    expect(r.summary().count).toBe(50);
  });
  it('rates over the window since the last snapshot, per topic counts', () => {
    let now = 0;
    const m = new ServiceMetrics(() => now);
    for (let i = 0; i < 10; i++) m.countIn('alicia/ai/request');
    m.countOut('alicia/ai/response');
    m.countError('alicia/ai/request');
    now = 2000;
    const s = m.snapshot();
    expect(s.in_per_s).toBe(5);
    expect(s.per_topic['alicia/ai/request']).toEqual({ in: 10, out: 0, errors: 1 });
    now = 3000;
    expect(m.snapshot().in_per_s).toBe(0);
  });
});
