import { describe, expect, it } from 'vitest';
import { BatchBuilder, unpackBatch } from './batchCodec.js';

describe('BatchBuilder', () => {
  it('round-trips rows through grown buffers, one string table, and payload views of one buffer', () => {
    // Tiny first allocations force both the row arrays and the payload buffer to grow many times.
    const b = new BatchBuilder(1000, 1, 1);
    const chunk = Buffer.alloc(64 * 1024, 7); // like an Aedes socket read the payloads are cut from
    const want = Array.from({ length: 1000 }, (_, i) => ({
      topic: `t/${i % 3}`,
      payload: i % 10 === 0 ? Buffer.from(`{"i":${i}}`) : chunk.subarray(i, i + (i % 50)),
      qos: i % 3,
      retain: i % 2 === 0,
      clientId: i % 4 === 0 ? null : `c${i % 4}`,
      principal: i % 5 === 0 ? null : 'operator',
      time: 1_700_000_000_000 + i,
    }));
    for (const p of want) {
      expect(b.full).toBe(false);
      b.add(p);
    }
    expect(b.full).toBe(true);
    const { batch, transfer } = b.seal();
    expect(batch.n).toBe(1000);
    // 3 topics + 3 client ids + 1 principal: each string crosses once
    expect(batch.strings).toHaveLength(7);
    expect(transfer).toContain(batch.payload);
    // the payload buffer holds copies, not the 64 KiB chunk
    expect(batch.payload.byteLength).toBeLessThan(64 * 1024);
    const rows = unpackBatch(batch);
    expect(rows.map((r) => ({ ...r, payload: Buffer.from(r.payload) }))).toEqual(
      want.map((w) => ({ ...w, payload: Buffer.from(w.payload) })),
    );
    expect(new Set(rows.map((r) => r.payload.buffer)).size).toBe(1);
  });

  it('is not full below its capacity and seals what it has', () => {
    const b = new BatchBuilder(10, 16, 1024);
    b.add({ topic: 'a', payload: Buffer.from('x'), qos: 0, retain: false, clientId: null, principal: null, time: 1 });
    expect(b.full).toBe(false);
    const rows = unpackBatch(b.seal().batch);
    expect(rows).toEqual([{ topic: 'a', payload: Buffer.from('x'), qos: 0, retain: false, clientId: null, principal: null, time: 1 }]);
  });
});
