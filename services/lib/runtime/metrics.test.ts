import { describe, expect, it } from 'vitest';
import { LatencyRing, ServiceMetrics } from './metrics.js';
import { BatchPublisher } from './batchPublisher.js';

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

describe('BatchPublisher', () => {
  it('sends queued messages together when the batch is full or the delay passes', async () => {
    const batches: number[] = [];
    const b = new BatchPublisher(async (items) => void batches.push(items.length), { maxBatch: 3, maxDelayMs: 20 });
    for (let i = 0; i < 7; i++) b.add({ topic: 't', payload: String(i), qos: 0, retain: false });
    await new Promise((r) => setTimeout(r, 50));
    expect(batches).toEqual([3, 3, 1]);
    expect(b.sent).toBe(7);
  });
  it('bounds the queue, dropping the oldest and counting them', async () => {
    const seen: string[] = [];
    const b = new BatchPublisher(async (items) => void seen.push(...items.map((i) => String(i.payload))), {
      maxBatch: 1000,
      maxQueue: 2,
      maxDelayMs: 5,
    });
    b.add({ topic: 't', payload: 'a', qos: 0, retain: false });
    b.add({ topic: 't', payload: 'b', qos: 0, retain: false });
    b.add({ topic: 't', payload: 'c', qos: 0, retain: false });
    await b.flush();
    expect(seen).toEqual(['b', 'c']);
    expect(b.dropped).toBe(1);
  });
});
