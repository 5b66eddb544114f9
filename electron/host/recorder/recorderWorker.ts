import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { unpackBatch } from './batchCodec.js';
import { fileSize, openRecorderDb } from './db.js';
import { ndjsonLines } from './exporter.js';
import { answerRecorderRequest } from './queries.js';
import { RecorderStore } from './store.js';
import { currentThreadId } from './threadCpu.js';
import type { DbState, FromWorker, ToWorker, WorkerInit } from './workerProtocol.js';

/**
 * The recorder's writer thread: owns the database connection and does every write (insert
 * batches, retention, incremental vacuum, WAL checkpoints) and the bus queries, so none of that
 * runs on the broker's event loop. Messages are handled one at a time in arrival order, so a
 * query or a sync sees every batch posted before it. Started by the Recorder (writerClient.ts) with a
 * WorkerInit as workerData.
 */

const port = parentPort;
if (!port) throw new Error('recorderWorker must run in a worker thread');
const init = workerData as WorkerInit;

function post(m: FromWorker): void {
  port!.postMessage(m);
}

const db = openRecorderDb(init.dbPath, { walAutocheckpointPages: init.walAutocheckpointPages, journalSizeLimit: init.walLimit });
const store = new RecorderStore(db, init.maxPayloadBytes);
const walPath = `${init.dbPath}-wal`;
const exportAcks = new Map<number, () => void>();
const exportCancelled = new Set<number>();

function state(): DbState {
  return { rows: store.rows, usedBytes: store.pages().used };
}

function retention(now: number): void {
  try {
    const r = store.retentionStep(init.limits, init.mainBudget, now, init.retentionChunk, init.vacuumPages);
    // In WAL mode the main file only shrinks (incremental_vacuum's truncation) when a checkpoint
    // copies the WAL back, and SQLite cuts the WAL to journal_size_limit only when the next
    // writer resets it: when writes stop right after a burst, neither happens. So when the files
    // on disk are over their limits, checkpoint with TRUNCATE; readers (queries run on this
    // thread too) never hold it up, and it is a no-op when the WAL is empty.
    const wal = fileSize(walPath);
    let walTruncated = false;
    if (wal > init.walLimit || (wal > 0 && wal + fileSize(init.dbPath) > init.limits.maxBytes)) {
      db.pragma('wal_checkpoint(TRUNCATE)');
      walTruncated = true;
    }
    if (r.deleted > 0 || r.vacuumed > 0 || walTruncated)
      post({ t: 'retention', deleted: r.deleted, vacuumed: r.vacuumed, walTruncated, ...state() });
  } catch (e) {
    post({ t: 'log', level: 'error', msg: 'recorder retention step failed', fields: { error: (e as Error).message } });
  }
}

function insert(m: Extract<ToWorker, { t: 'batch' }>): void {
  const t0 = performance.now();
  try {
    const r = store.insertBatch(unpackBatch(m.batch));
    post({
      t: 'committed',
      seq: m.seq,
      n: m.batch.n,
      lastId: r.lastId,
      lastTime: r.lastTime,
      truncated: r.truncated,
      ms: performance.now() - t0,
      ...state(),
    });
  } catch (e) {
    // Disk full, I/O error: losing this batch beats blocking the broker; the main thread counts it.
    post({ t: 'batch-failed', seq: m.seq, n: m.batch.n, error: (e as Error).message, ms: performance.now() - t0, ...state() });
  }
}

async function runExport(id: number, q: Extract<ToWorker, { t: 'export' }>['q']): Promise<void> {
  let lines = 0;
  try {
    let chunk = '';
    for await (const line of ndjsonLines(store, q)) {
      chunk += line;
      lines++;
      if (chunk.length >= 256 * 1024) {
        // One chunk in flight: wait until the main thread has written it (its destination's
        // backpressure reaches here), so a big export never piles up in memory.
        const acked = new Promise<void>((res) => exportAcks.set(id, res));
        post({ t: 'export-chunk', id, text: chunk });
        chunk = '';
        await acked;
        if (exportCancelled.delete(id)) return;
      }
    }
    if (chunk) {
      const acked = new Promise<void>((res) => exportAcks.set(id, res));
      post({ t: 'export-chunk', id, text: chunk });
      await acked;
    }
    post({ t: 'export-end', id, lines });
  } catch (e) {
    post({ t: 'export-end', id, lines, error: (e as Error).message });
  }
}

function stop(now: number): void {
  // Retention until nothing breaks a limit any more: a large backlog must not blow past them at exit.
  for (let i = 0; i < 10_000; i++) {
    const before = store.rows;
    const r = store.retentionStep(init.limits, init.mainBudget, now, init.retentionChunk, init.vacuumPages);
    if (r.deleted === 0 && r.vacuumed === 0 && store.rows === before) break;
  }
  try {
    db.pragma('optimize');
    db.pragma('wal_checkpoint(TRUNCATE)');
  } catch (e) {
    post({ t: 'log', level: 'warn', msg: 'recorder checkpoint at stop failed', fields: { error: (e as Error).message } });
  }
  db.close();
  post({ t: 'stopped' });
  port!.close();
}

port.on('message', (m: ToWorker) => {
  switch (m.t) {
    case 'batch':
      insert(m);
      retention(m.now);
      return;
    case 'tick':
      retention(m.now);
      return;
    case 'query':
      // answerRecorderRequest never throws; its one await is the inline export's page loop.
      void answerRecorderRequest(
        store,
        Buffer.from(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength),
        init.bounds,
        () => m.stats,
      ).then((r) => post({ t: 'answer', id: m.id, ...r }));
      return;
    case 'export':
      void runExport(m.id, m.q);
      return;
    case 'export-cancel':
    case 'export-ack': {
      if (m.t === 'export-cancel') exportCancelled.add(m.id);
      const ack = exportAcks.get(m.id);
      exportAcks.delete(m.id);
      ack?.();
      return;
    }
    case 'sync':
      post({ t: 'synced', id: m.id });
      return;
    case 'stop':
      stop(m.now);
      return;
  }
});

/**
 * Lower this thread's priority (Linux: setpriority on the thread id changes that thread only).
 * History is background work: when the CPU is contended, the broker's thread and the services
 * run first and the writer catches up from its queue when they idle; if it cannot, the queue
 * drops its oldest rows and counts them, as it does when the disk cannot keep up.
 */
function lowerPriority(tid: number | null): number | null {
  if (tid === null) return null;
  try {
    if (init.nice > 0) setPriority(tid, init.nice);
    return getPriority(tid);
  } catch (e) {
    post({ t: 'log', level: 'warn', msg: 'recorder writer thread priority not lowered', fields: { error: (e as Error).message } });
    return null;
  }
}

const tid = currentThreadId();
post({ t: 'ready', autoVacuum: db.pragma('auto_vacuum', { simple: true }) as number, tid, nice: lowerPriority(tid), ...state() });
