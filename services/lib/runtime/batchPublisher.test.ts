import { describe, expect, it } from 'vitest';
import { waitFor } from '../../../electron/host/broker/testing/mqttClient.js';
import { BatchPublisher } from './batchPublisher.js';

describe('BatchPublisher', () => {
  it('sends queued messages together when the batch is full or the delay passes', async () => {
    const batches: number[] = [];
    const b = new BatchPublisher(async (items) => void batches.push(items.length), { maxBatch: 3, maxDelayMs: 20 });
    for (let i = 0; i < 7; i++) b.add({ topic: 't', payload: String(i), qos: 0, retain: false });
    await waitFor(() => b.sent === 7, 'the last, partial batch after maxDelayMs');
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
