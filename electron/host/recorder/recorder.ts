import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { openDatabase } from '../../../services/lib/runtime/sqlite.js';
import type { BusPacket } from '../broker/types.js';
import { BatchQueue } from './batchQueue.js';
import { BusQueries, RESPONSE_TOPIC } from './busQueries.js';
import { fileSize } from './db.js';
import type { ExportQuery } from './exporter.js';
import { compileFilterList } from './filter.js';
import { stderrLog } from './log.js';
import type { Logger } from '../../../services/lib/runtime/logger.js';
import { openFileSink, writeAll } from './ndjson.js';
import type { RetentionLimits } from './retention.js';
import { settingsOf } from './recorderOptions.js';
import type { RecorderOptions } from './recorderOptions.js';
import { RecorderStore } from './store.js';
import { threadCpuMs } from './threadCpu.js';
import type { DbState } from './workerProtocol.js';
import { WriterClient } from './writerClient.js';
import type { WriterReport } from './writerClient.js';

export interface RecorderStats {
  /** rows not yet committed: waiting on the broker's thread plus handed to the writer thread */
  queued: number;
  queued_bytes: number;
  /** of `queued`, rows posted to the writer thread and not yet committed */
  in_flight: number;
  written: number;
  dropped: number;
  truncated: number;
  failed_batches: number;
  retention_deleted: number;
  vacuumed_pages: number;
  rows: number;
  /** main database file + WAL, bytes on disk */
  dbBytes: number;
  db_used_bytes: number;
  flushes: number;
  /** time of one insert transaction, on the writer thread (not a broker pause any more) */
  last_flush_ms: number;
  max_flush_ms: number;
  /** longest time the broker's thread spent copying one batch for the writer thread */
  max_pack_ms: number;
  /** the writer thread died and was started again this many times */
  worker_restarts: number;
  /** rows handed to a writer thread that died before committing them */
  worker_lost: number;
  last_commit: { id: number; time: number } | null;
  queries: number;
  wal_truncations: number;
  /** CPU time the current writer thread has used (Linux; null elsewhere) */
  writer_cpu_ms: number | null;
  /** the writer thread's nice value (Linux; null elsewhere) */
  writer_nice: number | null;
  limits: RetentionLimits;
  /** on the user's own broker: what may have been missed before it arrived (recorderOptions.ts `gaps`); null beside the embedded broker */
  gaps: Record<string, number | null> | null;
}

/** Batches handed to the writer thread and not yet committed: one being written, the next ones waiting. */
const MAX_IN_FLIGHT = 3;
/** A query hands what is queued to the writer first (so it sees what came before it) up to this many rows. */
const QUERY_FLUSH_MAX_BATCHES = 4;

/**
 * Records every message the broker accepts into SQLite and answers history queries on the bus.
 *
 * The broker calls onPublish synchronously on its publish path, so that path only copies the
 * message into the open batch (O(1), no parsing, no I/O; batchQueue.ts). Every database write
 * (insert batches, retention, incremental vacuum, WAL checkpoints) and every bus query runs on a
 * worker thread that owns the connection (recorderWorker.ts, driven by writerClient.ts), at a
 * lower CPU priority than the broker (writerNice). At most MAX_IN_FLIGHT batches are posted
 * ahead; when the writer falls behind, the queue on this thread drops its OLDEST batches (rows
 * counted in `dropped`): delivery is never delayed by history. A writer thread that dies is logged
 * and started again with backoff; the rows it held uncommitted are counted in `worker_lost`.
 */
export class Recorder {
  private readonly limits: RetentionLimits;
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private readonly maxPayloadBytes: number;
  /** true for topics not recorded (compiled from skipTopics) */
  private readonly skip: (topic: string) => boolean;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly queue: BatchQueue;
  private readonly writer: WriterClient;
  private readonly queries: BusQueries;

  private dbState: DbState = { rows: 0, usedBytes: 0 };
  private writerTid: number | null = null;
  private writerNice: number | null = null;
  private reader: RecorderStore | null = null;
  /** exports in progress; stop() waits for them */
  private readonly exports = new Set<Promise<unknown>>();
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private offPublish: (() => void) | null = null;
  private state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  private stopping: Promise<void> | null = null;
  private readonly counters = {
    written: 0,
    dropped: 0,
    truncated: 0,
    failed_batches: 0,
    retention_deleted: 0,
    vacuumed_pages: 0,
    flushes: 0,
    last_flush_ms: 0,
    max_flush_ms: 0,
    max_pack_ms: 0,
    worker_restarts: 0,
    worker_lost: 0,
    queries: 0,
    wal_truncations: 0,
  };
  private lastCommit: { id: number; time: number } | null = null;

  constructor(private readonly opts: RecorderOptions) {
    const settings = settingsOf(opts);
    this.limits = settings.limits;
    this.batchSize = settings.batchSize;
    this.flushIntervalMs = settings.flushIntervalMs;
    this.maxPayloadBytes = settings.init.maxPayloadBytes;
    this.skip = compileFilterList(opts.skipTopics ?? [RESPONSE_TOPIC, '$SYS/+/heartbeat']);
    this.log = opts.log ?? stderrLog;
    this.now = opts.now ?? Date.now;
    this.queue = new BatchQueue(settings.queue);
    this.writer = new WriterClient({
      init: settings.init,
      log: this.log,
      createWorker: opts.createWorker,
      onReport: (m) => this.onReport(m),
      onExit: (code, failure) => this.onWriterExit(code, failure),
      onRestart: () => {
        this.counters.worker_restarts++;
        this.log.warn('recorder writer thread restarted', { restarts: this.counters.worker_restarts });
        this.pump();
      },
      wanted: () => this.state === 'running',
    });
    this.queries = new BusQueries({
      bus: opts.bus,
      writer: this.writer,
      log: this.log,
      counters: this.counters,
      running: () => this.state === 'running',
      // Unless the writer is far behind: then the answer reflects what is committed, and the
      // queue keeps its drop bound.
      handOver: () => {
        if (this.queue.queuedRows <= QUERY_FLUSH_MAX_BATCHES * this.batchSize) this.sendAll();
      },
      stats: () => ({ ...this.stats() }),
    });
  }

  /** Starts the writer thread (opens or creates the database there); rejects when it cannot. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`recorder cannot start: ${this.state}`);
    if (this.opts.dbPath === ':memory:') throw new Error('recorder needs a database file: its writer thread and readers share it');
    this.state = 'running';
    try {
      await this.writer.start();
    } catch (e) {
      this.state = 'stopped';
      throw e;
    }
    this.offPublish = this.opts.bus.onPublish((p) => this.enqueue(p));
    await this.queries.start();
    this.timer = setInterval(() => this.tick(), this.flushIntervalMs);
    this.timer.unref();
  }

  /** Writes what is queued, closes the database and ends the writer thread. Safe to call twice (and before start). */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    if (this.state === 'new') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopping';
    if (this.timer) clearInterval(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.writer.cancelRestart();
    this.timer = null;
    this.immediate = null;
    this.offPublish?.();
    this.offPublish = null;
    // Answers and exports in progress finish first (they need the writer thread).
    await this.queries.stop();
    await Promise.allSettled([...this.exports]);
    if (!this.writer.alive && this.queue.queuedRows > 0) {
      // The writer died and its restart was pending: one more try, so the queue is not lost.
      try {
        await this.writer.start();
      } catch (e) {
        this.log.error('recorder writer could not be restarted at stop; queued rows lost', {
          rows: this.queue.queuedRows,
          error: (e as Error).message,
        });
      }
    }
    if (this.writer.alive) {
      this.sendAll();
      // The writer drains its queue (retention after every batch), checkpoints and exits.
      await this.writer.stop(this.now());
    }
    this.reader?.db.close();
    this.reader = null;
    this.state = 'stopped';
  }

  stats(): RecorderStats {
    const dbBytes = fileSize(this.opts.dbPath) + fileSize(`${this.opts.dbPath}-wal`);
    const q = this.queue;
    return {
      queued: q.queuedRows + q.inFlightRows,
      queued_bytes: q.queuedBytes + q.inFlightBytes,
      in_flight: q.inFlightRows,
      ...this.counters,
      rows: this.dbState.rows,
      dbBytes,
      db_used_bytes: this.dbState.usedBytes,
      last_commit: this.lastCommit,
      writer_cpu_ms: threadCpuMs(this.writerTid),
      writer_nice: this.writerNice,
      limits: { ...this.limits },
      gaps: this.opts.gaps?.() ?? null,
    };
  }

  /**
   * Write a time range, a topic filter or one trace as NDJSON to a file or stream. The writer
   * thread reads the pages; this thread only writes the text, one 256 KiB chunk at a time.
   */
  async exportNdjson(q: ExportQuery, dest: string | Writable): Promise<{ lines: number; bytes: number }> {
    if (this.state !== 'running' || !this.writer.alive) throw new Error('recorder is not running');
    await this.flushAll();
    if (!this.writer.alive) throw new Error('recorder writer thread is restarting');
    const out = typeof dest === 'string' ? openFileSink(dest) : dest;
    let bytes = 0;
    const done = this.writer.export(q, async (text) => {
      bytes += Buffer.byteLength(text);
      await writeAll(out, [text]);
    });
    this.track(done);
    try {
      const lines = await done;
      return { lines, bytes };
    } finally {
      if (typeof dest === 'string') {
        out.end();
        await finished(out);
      }
    }
  }

  /**
   * A store on a read-only connection of its own, for in-process readers (tests, the host's
   * diagnostics). Its reads run synchronously on the CALLING thread: never use it on the broker's
   * hot path (bus queries go to the writer thread). WAL lets it read while the writer writes.
   */
  requireStore(): RecorderStore {
    if (this.state !== 'running') throw new Error('recorder is not running');
    this.reader ??= new RecorderStore(openDatabase(this.opts.dbPath, { readonly: true, fileMustExist: true }), this.maxPayloadBytes);
    return this.reader;
  }

  /**
   * Hand everything queued to the writer thread and resolve once it is committed (or failed and
   * counted). Resolves at once when the recorder is not running or its writer is restarting.
   */
  async flushAll(): Promise<void> {
    if (this.state !== 'running' && this.state !== 'stopping') return;
    this.sendAll();
    await this.writer.sync();
  }

  // --- what the writer thread reports ---
  private onReport(m: WriterReport): void {
    switch (m.t) {
      case 'ready':
        this.writerTid = m.tid;
        this.writerNice = m.nice;
        this.dbState = { rows: m.rows, usedBytes: m.usedBytes };
        return;
      case 'committed':
        this.queue.settle(m.seq);
        this.dbState = { rows: m.rows, usedBytes: m.usedBytes };
        this.counters.written += m.n;
        this.counters.truncated += m.truncated;
        this.noteFlush(m.ms);
        this.lastCommit = { id: m.lastId, time: m.lastTime };
        try {
          this.opts.onCommit?.({ rows: m.n, lastId: m.lastId, lastTime: m.lastTime, totalWritten: this.counters.written });
        } catch (e) {
          this.log.warn('recorder onCommit listener threw', { error: (e as Error).message });
        }
        this.pump();
        return;
      case 'batch-failed':
        this.queue.settle(m.seq);
        this.dbState = { rows: m.rows, usedBytes: m.usedBytes };
        this.noteFlush(m.ms);
        this.counters.failed_batches++;
        this.counters.dropped += m.n;
        this.log.error('recorder batch insert failed; batch dropped', { rows: m.n, error: m.error });
        this.pump();
        return;
      case 'retention':
        this.dbState = { rows: m.rows, usedBytes: m.usedBytes };
        this.counters.retention_deleted += m.deleted;
        this.counters.vacuumed_pages += m.vacuumed;
        if (m.walTruncated) this.counters.wal_truncations++;
        return;
    }
  }

  private onWriterExit(code: number, failure: Error | null): void {
    const lost = this.queue.dropInFlight();
    const planned = this.state === 'stopping' && lost === 0 && failure === null && code === 0;
    if (!planned) {
      this.counters.worker_lost += lost;
      this.log.error('recorder writer thread exited; rows it held are lost', { code, rows: lost, error: failure?.message });
    }
  }

  private noteFlush(ms: number): void {
    this.counters.flushes++;
    this.counters.last_flush_ms = ms;
    this.counters.max_flush_ms = Math.max(this.counters.max_flush_ms, ms);
  }

  private track(p: Promise<unknown>): void {
    const q = p.then(
      () => undefined,
      () => undefined,
    );
    this.exports.add(q);
    void q.then(() => this.exports.delete(q));
  }

  // --- publish path: O(1), no parsing, no I/O ---
  private enqueue(p: BusPacket): void {
    if (this.state !== 'running' || this.skip(p.topic)) return;
    // Copied into the open batch right away (see batchCodec.ts): nothing of the packet is kept.
    this.counters.dropped += this.queue.add(p);
    if (this.queue.sealedBatches > 0 && this.queue.inFlightBatches < MAX_IN_FLIGHT && !this.immediate) {
      this.immediate = setImmediate(() => {
        this.immediate = null;
        this.pump();
      });
    }
  }

  /** Post full batches while the writer has room for them. */
  private pump(): void {
    while (this.writer.alive && this.state === 'running' && this.queue.sealedBatches > 0 && this.queue.inFlightBatches < MAX_IN_FLIGHT)
      this.postBatch();
  }

  /** Timer: post what is waiting (a partial batch too), or let the writer run retention when idle. */
  private tick(): void {
    if (this.state !== 'running' || !this.writer.alive) return;
    const q = this.queue;
    if (q.inFlightBatches < MAX_IN_FLIGHT && (q.sealedBatches > 0 || q.openRows > 0)) {
      q.sealOpen();
      this.pump();
    } else if (q.inFlightBatches === 0) {
      // The age limit moves with the clock even when nothing arrives.
      this.writer.post({ t: 'tick', now: this.now() });
    }
  }

  /** Post everything queued, past the in-flight bound (flushAll, queries, stop). */
  private sendAll(): void {
    this.queue.sealOpen();
    while (this.writer.alive && this.queue.sealedBatches > 0) this.postBatch();
  }

  private postBatch(): void {
    const t0 = performance.now();
    const b = this.queue.take();
    if (!b) return;
    this.writer.post({ t: 'batch', seq: b.seq, now: this.now(), batch: b.batch }, b.transfer);
    this.counters.max_pack_ms = Math.max(this.counters.max_pack_ms, performance.now() - t0);
  }
}
