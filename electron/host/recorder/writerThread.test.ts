import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hookBus } from '../../../e2e/support/hookBus.js';
import { seal } from '../../../services/lib/protocol/envelope.js';
import { connectClient, waitFor } from '../broker/testing/mqttClient.js';
import { startTestBroker } from '../broker/testing/testBroker.js';
import type { BusPacket } from '../broker/types.js';
import { Recorder } from './recorder.js';
import { ask, RESPONSE_TOPIC } from './testing/query.js';
import { createLogger } from '../../../services/lib/runtime/logger.js';

// The writer thread loads from dist/ when the Recorder runs from source: build first
// (`npx tsc -b tsconfig.build.json`), see workerFile() in writerClient.ts.

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'alicia-writer-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function packet(seq: number): BusPacket {
  return {
    topic: 'alicia/broadcast/seq',
    payload: Buffer.from(JSON.stringify({ seq })),
    qos: 0,
    retain: false,
    clientId: null,
    principal: null,
    time: Date.now(),
  };
}

function storedSeqs(dbPath: string): number[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return (
      db.prepare("SELECT payload FROM message_rows WHERE topic LIKE 'alicia/broadcast/%' ORDER BY id").all() as { payload: Buffer }[]
    ).map((r) => (JSON.parse(r.payload.toString()) as { seq: number }).seq);
  } finally {
    db.close();
  }
}

describe('recorder writer thread', () => {
  it('when the queue outgrows its bound before the writer gets a turn, the oldest rows go and are counted', async () => {
    const dbPath = join(dir, 'drop.db');
    const { bus, emit } = hookBus();
    const rec = new Recorder({ dbPath, bus, maxQueue: 100, flushIntervalMs: 10 });
    await rec.start();
    // One synchronous burst: nothing can reach the writer until this turn of the event loop ends.
    for (let i = 0; i < 1000; i++) emit(packet(i));
    expect(rec.stats()).toMatchObject({ queued: 100, dropped: 900, written: 0 });
    await rec.flushAll();
    expect(rec.stats()).toMatchObject({ queued: 0, dropped: 900, written: 100 });
    await rec.stop();
    expect(storedSeqs(dbPath)).toEqual(Array.from({ length: 100 }, (_, i) => 900 + i));
  });

  it('runs at a lower CPU priority than the broker (Linux) and reports its CPU time', async (ctx) => {
    if (process.platform !== 'linux') ctx.skip();
    const { getPriority } = await import('node:os');
    // 0 normally; the test process may itself run under `nice`
    const brokerPriority = getPriority();
    const { bus, emit } = hookBus();
    const rec = new Recorder({ dbPath: join(dir, 'nice.db'), bus, writerNice: 7 });
    await rec.start();
    try {
      for (let i = 0; i < 20_000; i++) emit(packet(i));
      await rec.flushAll();
      const st = rec.stats();
      expect(st.written).toBe(20_000);
      expect(st.writer_nice).toBe(7);
      expect(st.writer_cpu_ms).toBeGreaterThan(0);
      expect(getPriority()).toBe(brokerPriority); // the broker's thread keeps its own priority
    } finally {
      await rec.stop();
    }
  });

  it('flushAll resolves once everything queued is committed and readable', async () => {
    const dbPath = join(dir, 'flush.db');
    const { bus, emit } = hookBus();
    // a long interval and big batches: only flushAll moves these rows
    const rec = new Recorder({ dbPath, bus, flushIntervalMs: 60_000, batchSize: 10_000 });
    await rec.start();
    for (let i = 0; i < 250; i++) emit(packet(i));
    expect(rec.stats().written).toBe(0);
    await rec.flushAll();
    expect(rec.stats()).toMatchObject({ written: 250, rows: 250, queued: 0, in_flight: 0 });
    expect(rec.stats().last_commit).not.toBeNull();
    const page = rec.requireStore().page({ order: 'asc', limit: 1000, payload: 'full' });
    expect(page.messages.map((m) => (JSON.parse(m.payload!.toString()) as { seq: number }).seq)).toEqual(
      Array.from({ length: 250 }, (_, i) => i),
    );
    await rec.stop();
  });

  it('survives its writer thread dying mid-stream: restarts it, counts the rows lost, records and answers on', async () => {
    const tb = await startTestBroker();
    const dbPath = join(dir, 'crash.db');
    const errors: string[] = [];
    // The test keeps the thread the recorder starts, to end it as a crash would.
    const writers: Worker[] = [];
    const rec = new Recorder({
      dbPath,
      bus: tb.broker,
      flushIntervalMs: 5,
      batchSize: 50,
      log: createLogger('recorder', {
        sink: (line, level) => void (level === 'error' && errors.push((JSON.parse(line) as { msg: string }).msg)),
      }),
      createWorker: (file, options) => {
        const w = new Worker(file, options);
        writers.push(w);
        return w;
      },
    });
    try {
      await rec.start();
      const topic = 'alicia/broadcast/crash';
      const publish = async (from: number, n: number) => {
        for (let i = from; i < from + n; i++)
          await tb.broker.publish(topic, JSON.stringify(seal({ message: 'x', seq: i }, { source: 'test' })), { qos: 0 });
      };
      await publish(0, 2000);
      await writers[0]!.terminate();
      // the broker keeps delivering while the writer is down
      await publish(2000, 500);
      await waitFor(() => rec.stats().worker_restarts === 1, 'writer restarted');
      expect(writers.length).toBe(2);
      await publish(2500, 500);
      await waitFor(() => rec.stats().queued === 0, 'queue drained after restart');
      const st = rec.stats();
      expect(errors.some((e) => e.includes('writer thread exited'))).toBe(true);
      // every message is accounted for: committed, lost with the dead thread, or dropped
      expect(st.written + st.worker_lost + st.dropped).toBe(3000);
      expect(st.dropped).toBe(0);
      // queries are answered by the new thread
      const op = tb.credentials.operator;
      const c = await connectClient(tb.url, { username: op.username, password: op.password });
      await c.subscribeAsync(RESPONSE_TOPIC, { qos: 1 });
      const counts = await ask(c, { query: 'counts', topic: topic });
      await c.endAsync();
      expect(counts).toMatchObject({ ok: true, topics: [{ topic, count: st.written }] });
      await rec.stop();
      const seqs = storedSeqs(dbPath);
      // what was lost is one contiguous stretch (the batches in flight at the crash); the rows
      // published after the crash are all there
      expect(seqs.length).toBe(st.written);
      expect(seqs.slice(-1000)).toEqual(Array.from({ length: 1000 }, (_, i) => 2000 + i));
      const db = new Database(dbPath, { readonly: true });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      db.close();
    } finally {
      await rec.stop();
      await tb.stop();
    }
  }, 60_000);
});
