import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seal } from '../../../services/lib/protocol/envelope.js';
import { waitFor } from '../broker/testing/mqttClient.js';
import { startTestBroker } from '../broker/testing/testBroker.js';
import type { TestBroker } from '../broker/testing/testBroker.js';
import { Recorder } from './recorder.js';

let tb: TestBroker;
let dir: string;
let recorder: Recorder | null = null;

beforeEach(async () => {
  tb = await startTestBroker();
  dir = await mkdtemp(join(tmpdir(), 'alicia-retention-'));
});

afterEach(async () => {
  await recorder?.stop();
  recorder = null;
  await tb.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Publish n messages in-process through the broker (fast), each carrying its sequence number. */
async function publishSeq(from: number, n: number, pad = 0): Promise<void> {
  const filler = 'x'.repeat(pad);
  for (let i = from; i < from + n; i++) {
    await tb.broker.publish(`alicia/broadcast/seq`, JSON.stringify(seal({ message: filler, seq: i }, { source: 'test' })), { qos: 0 });
  }
}

function storedSeqs(dbPath: string): number[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return (db.prepare('SELECT payload FROM messages ORDER BY id').all() as { payload: Buffer }[]).map(
      (r) => (JSON.parse(r.payload.toString()) as { seq: number }).seq,
    );
  } finally {
    db.close();
  }
}

describe('recorder retention', () => {
  it('keeps at most maxRows, dropping the oldest', async () => {
    const dbPath = join(dir, 'rows.db');
    recorder = new Recorder({ dbPath, bus: tb.broker, flushIntervalMs: 10, batchSize: 500, limits: { maxRows: 1000 } });
    await recorder.start();
    await publishSeq(0, 3500);
    await waitFor(() => recorder!.stats().written === 3500 && recorder!.stats().rows <= 1000, 'rows written and trimmed', 10_000);
    await recorder.stop();
    const seqs = storedSeqs(dbPath);
    expect(seqs.length).toBe(1000);
    // exactly the newest 1000, in order
    expect(seqs[0]).toBe(2500);
    expect(seqs[seqs.length - 1]).toBe(3499);
    // per-topic counts follow the deletions
    const db = new Database(dbPath, { readonly: true });
    expect(db.prepare('SELECT n FROM topics WHERE topic = ?').get('alicia/broadcast/seq')).toEqual({ n: 1000 });
    db.close();
  });

  it('deletes rows older than maxAgeMs', async () => {
    const dbPath = join(dir, 'age.db');
    let now = Date.now() - 3600_000; // nothing is old yet
    recorder = new Recorder({ dbPath, bus: tb.broker, flushIntervalMs: 10, limits: { maxAgeMs: 60_000 }, now: () => now });
    await recorder.start();
    await publishSeq(0, 300);
    await waitFor(() => recorder!.stats().written === 300, 'old batch written');
    // `mid` lies after every old row's broker time and before every new one's.
    const lastOld = recorder.stats().last_commit!.time;
    await waitFor(() => Date.now() > lastOld, 'the clock past the old rows');
    const mid = Date.now();
    await waitFor(() => Date.now() > mid, 'the clock past mid');
    await publishSeq(300, 200);
    await waitFor(() => recorder!.stats().written === 500, 'new batch written');
    expect(recorder.stats().rows).toBe(500);
    // the clock moves on: everything before `mid` is now older than 60 s
    now = mid + 60_000;
    await waitFor(() => recorder!.stats().rows === 200, 'old rows deleted');
    await recorder.stop();
    expect(storedSeqs(dbPath)).toEqual(Array.from({ length: 200 }, (_, i) => 300 + i));
  });

  it('keeps the database files under maxBytes while ingesting several times that, and shrinks after the limit is lowered', async () => {
    const dbPath = join(dir, 'bytes.db');
    const maxBytes = 3 * 1024 * 1024;
    recorder = new Recorder({ dbPath, bus: tb.broker, flushIntervalMs: 10, limits: { maxBytes } });
    await recorder.start();
    let peak = 0;
    // 7,000 x ~1.2 KB = ~8.4 MB through a 3 MB store
    for (let k = 0; k < 7; k++) {
      await publishSeq(k * 1000, 1000, 1000);
      await waitFor(() => recorder!.stats().queued === 0, 'queue drained', 20_000);
      peak = Math.max(peak, recorder.stats().dbBytes);
    }
    await waitFor(() => recorder!.stats().db_used_bytes < maxBytes * 0.9, 'retention caught up', 10_000);
    const st = recorder.stats();
    expect(st.written).toBe(7000);
    expect(st.dropped).toBe(0);
    expect(peak).toBeLessThanOrEqual(maxBytes);
    expect(st.rows).toBeGreaterThan(500);
    expect(st.rows).toBeLessThan(3000);
    expect(st.retention_deleted).toBe(7000 - st.rows);
    await recorder.stop();
    const seqs = storedSeqs(dbPath);
    // the newest rows survive, contiguous up to the last one
    expect(seqs[seqs.length - 1]).toBe(6999);
    expect(seqs[seqs.length - 1]! - seqs[0]!).toBe(seqs.length - 1);
    expect((await stat(dbPath)).size).toBeLessThanOrEqual(maxBytes);

    // reopen with a 1 MiB limit: the file itself gets smaller, step by step (incremental vacuum)
    recorder = new Recorder({ dbPath, bus: tb.broker, flushIntervalMs: 10, limits: { maxBytes: 1024 * 1024 } });
    await recorder.start();
    await waitFor(() => recorder!.stats().dbBytes <= 1024 * 1024, 'file shrunk below the new limit', 30_000).catch((e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(recorder!.stats())}`);
    });
    await recorder.stop();
    expect((await stat(dbPath)).size).toBeLessThanOrEqual(1024 * 1024);
    const db = new Database(dbPath, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  }, 90_000);

  it('stores payloads over maxPayloadBytes cut, flagged, with their original size', async () => {
    const dbPath = join(dir, 'trunc.db');
    recorder = new Recorder({ dbPath, bus: tb.broker, flushIntervalMs: 10, maxPayloadBytes: 1024 });
    await recorder.start();
    const big = JSON.stringify(seal({ message: 'y'.repeat(5000) }, { source: 'test', trace_id: 'big-trace' }));
    await tb.broker.publish('alicia/broadcast/big', big, { qos: 0 });
    await waitFor(() => recorder!.stats().written === 1, 'written');
    expect(recorder.stats().truncated).toBe(1);
    await recorder.stop();
    const db = new Database(dbPath, { readonly: true });
    const row = db.prepare('SELECT length(payload) AS len, size, truncated, trace_id FROM message_rows').get();
    db.close();
    // envelope ids are taken from the whole payload before cutting
    expect(row).toEqual({ len: 1024, size: Buffer.byteLength(big), truncated: 1, trace_id: 'big-trace' });
  });
});
