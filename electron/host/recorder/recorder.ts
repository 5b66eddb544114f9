import { existsSync, readdirSync, statSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { peekEnvelope } from '../../../services/lib/protocol/decode.js';
import { seal } from '../../../services/lib/protocol/envelope.js';
import { topicFor, topicMatches } from '../../../services/lib/protocol/topics.js';
import { openDatabase } from '../../../services/lib/runtime/sqlite.js';
import type { BusPacket, InProcessBus } from '../broker/types.js';
import { BatchBuilder } from './batchCodec.js';
import { fileSize } from './db.js';
import type { PackedBatch } from './batchCodec.js';
import { threadCpuMs } from './threadCpu.js';
import type { ExportQuery } from './exporter.js';
import { openFileSink, writeAll } from './ndjson.js';
import { DEFAULT_LIMITS } from './retention.js';
import type { RetentionLimits } from './retention.js';
import { RecorderStore } from './store.js';
import type { DbState, FromWorker, ToWorker, WorkerInit } from './workerProtocol.js';

export type { RetentionLimits } from './retention.js';

export interface RecorderLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** Reported after every committed batch (the durability watermark: everything up to lastId is on disk). */
export interface CommitInfo {
  rows: number;
  lastId: number;
  lastTime: number;
  totalWritten: number;
}

export interface RecorderOptions {
  dbPath: string;
  bus: InProcessBus;
  limits?: Partial<RetentionLimits>;
  /** rows per insert transaction (default 8000; fewer, larger commits write each hot page once) */
  batchSize?: number;
  /** how often queued rows are written and retention runs (default 200 ms) */
  flushIntervalMs?: number;
  /** queued rows beyond this drop the oldest queued ones (default 200,000) */
  maxQueue?: number;
  /** queued payload bytes beyond this drop the oldest queued ones too (default 128 MiB) */
  maxQueueBytes?: number;
  /** payloads above this are stored cut, flagged truncated, with their original size (default 256 KiB) */
  maxPayloadBytes?: number;
  /** bound on the payload text of one query response (default 1 MiB) */
  maxResponseBytes?: number;
  /** one payload in a query response is clipped to this (default 64 KiB) */
  maxInlinePayload?: number;
  /** retention deletes at most this many rows per step (default 5000) */
  retentionChunk?: number;
  /** at most this many free pages are returned to the file system per step (default 256 = 1 MiB) */
  vacuumPages?: number;
  /** nice value of the writer thread (Linux; default 19, the lowest: history runs when delivery leaves CPU; 0 = the broker's priority) */
  writerNice?: number;
  /** MQTT filters not recorded (default: the recorder's own responses and Aedes' $SYS heartbeats) */
  skipTopics?: string[];
  log?: RecorderLog;
  onCommit?: (info: CommitInfo) => void;
  /** clock for the age limit (tests) */
  now?: () => number;
}

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
}

const REQUEST_TOPIC = topicFor('alicia/system/recorder/request');
const RESPONSE_TOPIC = topicFor('alicia/system/recorder/response');

/**
 * The skip list as one check for the publish path: exact topics by Set lookup, wildcard filters
 * only for topics that start with their literal prefix (so "$SYS/+/heartbeat" costs one
 * startsWith for every alicia/... topic).
 */
function compileSkip(filters: readonly string[]): (topic: string) => boolean {
  const exact = new Set<string>();
  const wild: { prefix: string; filter: string }[] = [];
  for (const f of filters) {
    const i = f.search(/[+#]/);
    if (i < 0) exact.add(f);
    else wild.push({ prefix: f.slice(0, i), filter: f });
  }
  return (topic) => {
    if (exact.has(topic)) return true;
    for (const w of wild) if (topic.startsWith(w.prefix) && topicMatches(w.filter, topic)) return true;
    return false;
  };
}

const stderrLog: RecorderLog = {
  info: () => {},
  warn: (msg, fields) => process.stderr.write(`${JSON.stringify({ level: 'warn', part: 'recorder', msg, ...fields })}\n`),
  error: (msg, fields) => process.stderr.write(`${JSON.stringify({ level: 'error', part: 'recorder', msg, ...fields })}\n`),
};

/** Batches handed to the writer thread and not yet committed: one being written, the next ones waiting. */
const MAX_IN_FLIGHT = 3;
/** A query hands what is queued to the writer first (so it sees what came before it) up to this many rows. */
const QUERY_FLUSH_MAX_BATCHES = 4;
const MAX_RESTART_DELAY_MS = 5000;
const STOP_TIMEOUT_MS = 60_000;

/**
 * Where the writer thread's code is. From dist/ (the host, `node dist/...`): the compiled
 * recorderWorker.js next to this file. From source (vitest runs the .ts files through its own
 * transform, which a worker thread does not get; Node 20 cannot load .ts and tsx is not installed):
 * the build in dist/, so tests that start a Recorder need `npx tsc -b tsconfig.build.json` first.
 * A missing or older-than-source build is reported, never silently used.
 */
function workerFile(log: RecorderLog): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL('./recorderWorker.js', import.meta.url);
  const built = new URL('../../../dist/electron/host/recorder/recorderWorker.js', import.meta.url);
  const builtPath = fileURLToPath(built);
  if (!existsSync(builtPath)) {
    throw new Error(
      `recorder: running from source needs the compiled writer thread at ${builtPath}: run \`npx tsc -b tsconfig.build.json\` first`,
    );
  }
  // Each source the thread loads (every module here but this one) against its own build output.
  const srcDir = fileURLToPath(new URL('./', import.meta.url));
  const outDir = dirname(builtPath);
  const newer = readdirSync(srcDir).filter((f) => {
    if (!f.endsWith('.ts') || f.endsWith('.test.ts') || f === 'recorder.ts') return false;
    const out = join(outDir, f.replace(/\.ts$/, '.js'));
    return !existsSync(out) || statSync(join(srcDir, f)).mtimeMs > statSync(out).mtimeMs;
  });
  if (newer.length > 0)
    log.warn('recorder: the compiled writer thread in dist/ is older than its sources; run `npx tsc -b tsconfig.build.json`', { newer });
  return built;
}

interface PendingAnswer {
  request: Buffer;
  resolve: (r: { body: Record<string, unknown>; correlation_id?: string; trace_id?: string }) => void;
}

interface PendingExport {
  onChunk: (text: string) => Promise<void>;
  resolve: (lines: number) => void;
  reject: (e: Error) => void;
}

/**
 * Records every message the broker accepts into SQLite and answers history queries on the bus.
 *
 * The broker calls onPublish synchronously on its publish path, so that path only copies the
 * message into the open batch (O(1), no parsing, no I/O; batchCodec.ts). Every database write
 * (insert batches, retention, incremental vacuum, WAL checkpoints) and every bus query runs on a
 * worker thread that owns the connection (recorderWorker.ts), at a lower CPU priority than the
 * broker (writerNice). At most MAX_IN_FLIGHT batches are posted ahead; when the writer falls
 * behind, the queue on this thread drops its OLDEST batches (rows counted in `dropped`): delivery
 * is never delayed by history. A writer thread that dies is logged and
 * started again with backoff; the rows it held uncommitted are counted in `worker_lost`.
 */
export class Recorder {
  private readonly limits: RetentionLimits;
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private readonly maxQueue: number;
  private readonly maxQueueBytes: number;
  private readonly maxPayloadBytes: number;
  private readonly maxBatchBytes: number;
  private readonly init: WorkerInit;
  /** true for topics not recorded (compiled from skipTopics) */
  private readonly skip: (topic: string) => boolean;
  private readonly log: RecorderLog;
  private readonly now: () => number;

  private worker: Worker | null = null;
  private workerExited: Promise<void> = Promise.resolve();
  private restartTimer: NodeJS.Timeout | null = null;
  private restartDelay = 100;
  private dbState: DbState = { rows: 0, usedBytes: 0 };
  private writerTid: number | null = null;
  private writerNice: number | null = null;
  private reader: RecorderStore | null = null;
  /** the batch messages are being copied into */
  private open: BatchBuilder | null = null;
  /** full batches waiting for the writer, oldest first */
  private sealed: { batch: PackedBatch; transfer: ArrayBuffer[]; n: number; bytes: number }[] = [];
  /** rows and payload bytes in `open` + `sealed` */
  private queuedRows = 0;
  private queuedBytes = 0;
  /** size of the last batch, the next one's first allocation */
  private lastBatch = { n: 256, bytes: 64 * 1024 };
  private readonly inFlight = new Map<number, { n: number; bytes: number }>();
  private inFlightRows = 0;
  private inFlightBytes = 0;
  private seq = 0;
  private nextId = 0;
  private readonly answers = new Map<number, PendingAnswer>();
  private readonly syncs = new Map<number, () => void>();
  private readonly exports = new Map<number, PendingExport>();
  private readonly busy = new Set<Promise<unknown>>();
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private offPublish: (() => void) | null = null;
  private offRequests: (() => Promise<void>) | null = null;
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
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.batchSize = opts.batchSize ?? 8000;
    this.flushIntervalMs = opts.flushIntervalMs ?? 200;
    this.maxQueue = opts.maxQueue ?? 200_000;
    this.maxQueueBytes = opts.maxQueueBytes ?? 128 * 1024 * 1024;
    this.maxPayloadBytes = opts.maxPayloadBytes ?? 256 * 1024;
    this.skip = compileSkip(opts.skipTopics ?? [RESPONSE_TOPIC, '$SYS/+/heartbeat']);
    this.log = opts.log ?? stderrLog;
    this.now = opts.now ?? Date.now;
    // The byte limit covers the main file and the WAL: the WAL gets a tenth of it (256 KiB-16 MiB,
    // enforced by journal_size_limit and an autocheckpoint at half that), the main file the rest
    // minus 10 % slack for the batch inserted before the next retention step and WAL overshoot
    // (the WAL grows by one transaction past the checkpoint threshold before it is reset).
    const walLimit = Math.min(16 << 20, Math.max(256 << 10, Math.floor(this.limits.maxBytes / 10)));
    // Every page a vacuum step moves is written to the WAL too: keep a step within a quarter of it.
    const vacuumPages = Math.max(4, Math.min(opts.vacuumPages ?? 256, Math.floor(walLimit / 4096 / 4)));
    // A batch is inserted before the retention step that follows it, so its bytes are how far the
    // file can overshoot: keep it well inside the slack above (2 % of the limit, 64 KiB - 8 MiB).
    this.maxBatchBytes = Math.min(8 << 20, Math.max(64 << 10, Math.floor(this.limits.maxBytes * 0.02)));
    this.init = {
      dbPath: opts.dbPath,
      maxPayloadBytes: this.maxPayloadBytes,
      limits: this.limits,
      mainBudget: Math.floor(this.limits.maxBytes * 0.9) - walLimit,
      walLimit,
      walAutocheckpointPages: Math.floor(walLimit / 2 / 4096),
      retentionChunk: opts.retentionChunk ?? 5000,
      vacuumPages,
      bounds: { maxResponseBytes: opts.maxResponseBytes ?? 1024 * 1024, maxInlinePayload: opts.maxInlinePayload ?? 64 * 1024 },
      nice: Math.max(0, Math.min(19, Math.floor(opts.writerNice ?? 19))),
    };
  }

  /** Starts the writer thread (opens or creates the database there); rejects when it cannot. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`recorder cannot start: ${this.state}`);
    if (this.opts.dbPath === ':memory:') throw new Error('recorder needs a database file: its writer thread and readers share it');
    this.state = 'running';
    try {
      await this.spawnWorker();
    } catch (e) {
      this.state = 'stopped';
      throw e;
    }
    this.offPublish = this.opts.bus.onPublish((p) => this.enqueue(p));
    this.offRequests = await this.opts.bus.subscribe(REQUEST_TOPIC, (p) => this.onRequest(p));
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
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.timer = null;
    this.immediate = null;
    this.restartTimer = null;
    this.offPublish?.();
    this.offPublish = null;
    try {
      await this.offRequests?.();
    } catch (e) {
      // The broker may already be closed; its subscriptions went with it.
      this.log.warn('recorder unsubscribe failed', { error: (e as Error).message });
    }
    this.offRequests = null;
    // Answers and exports in progress finish first (they need the writer thread).
    await Promise.allSettled([...this.busy]);
    if (!this.worker && this.queuedRows > 0) {
      // The writer died and its restart was pending: one more try, so the queue is not lost.
      try {
        await this.spawnWorker();
      } catch (e) {
        this.log.error('recorder writer could not be restarted at stop; queued rows lost', {
          rows: this.queuedRows,
          error: (e as Error).message,
        });
      }
    }
    const w = this.worker;
    if (w) {
      this.sendAll();
      w.postMessage({ t: 'stop', now: this.now() } satisfies ToWorker);
      // The writer drains its queue (retention after every batch), checkpoints and exits.
      const timeout = setTimeout(() => {
        this.log.error('recorder writer did not stop in time; terminating it');
        void w.terminate();
      }, STOP_TIMEOUT_MS);
      await this.workerExited;
      clearTimeout(timeout);
    }
    this.reader?.db.close();
    this.reader = null;
    this.state = 'stopped';
  }

  stats(): RecorderStats {
    const dbBytes = fileSize(this.opts.dbPath) + fileSize(`${this.opts.dbPath}-wal`);
    return {
      queued: this.queuedRows + this.inFlightRows,
      queued_bytes: this.queuedBytes + this.inFlightBytes,
      in_flight: this.inFlightRows,
      ...this.counters,
      rows: this.dbState.rows,
      dbBytes,
      db_used_bytes: this.dbState.usedBytes,
      last_commit: this.lastCommit,
      writer_cpu_ms: threadCpuMs(this.writerTid),
      writer_nice: this.writerNice,
      limits: { ...this.limits },
    };
  }

  /**
   * Write a time range, a topic filter or one trace as NDJSON to a file or stream. The writer
   * thread reads the pages; this thread only writes the text, one 256 KiB chunk at a time.
   */
  async exportNdjson(q: ExportQuery, dest: string | Writable): Promise<{ lines: number; bytes: number }> {
    if (this.state !== 'running' || !this.worker) throw new Error('recorder is not running');
    await this.flushAll();
    const w = this.worker;
    if (!w) throw new Error('recorder writer thread is restarting');
    const out = typeof dest === 'string' ? openFileSink(dest) : dest;
    let bytes = 0;
    const id = ++this.nextId;
    const done = new Promise<number>((resolve, reject) => {
      this.exports.set(id, {
        onChunk: async (text) => {
          bytes += Buffer.byteLength(text);
          await writeAll(out, [text]);
          w.postMessage({ t: 'export-ack', id } satisfies ToWorker);
        },
        resolve,
        reject,
      });
    });
    this.track(done);
    w.postMessage({ t: 'export', id, q: { ...q } } satisfies ToWorker);
    try {
      const lines = await done;
      return { lines, bytes };
    } finally {
      this.exports.delete(id);
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
    await this.sync();
  }

  /** Tests and diagnostics: end the writer thread abruptly, as a crash would (it is restarted). */
  async crashWriterForTest(): Promise<void> {
    await this.worker?.terminate();
  }

  // --- writer thread lifecycle ---
  private spawnWorker(): Promise<void> {
    const w = new Worker(workerFile(this.log), { workerData: this.init, name: 'alicia-recorder-writer' });
    let ready = false;
    let failure: Error | null = null;
    this.workerExited = new Promise((resolveExit) => {
      w.once('exit', (code) => {
        resolveExit();
        if (ready) this.onWorkerExit(w, code, failure);
      });
    });
    return new Promise<void>((resolve, reject) => {
      w.on('message', (m: FromWorker) => {
        if (m.t === 'ready') {
          ready = true;
          this.worker = w;
          this.writerTid = m.tid;
          this.writerNice = m.nice;
          this.dbState = { rows: m.rows, usedBytes: m.usedBytes };
          if (m.autoVacuum !== 2) {
            this.log.warn(
              'recorder database was created without incremental auto_vacuum: the file will not shrink below its high-water mark',
              { path: this.opts.dbPath },
            );
          }
          resolve();
          return;
        }
        this.onWorkerMessage(m);
      });
      w.on('error', (e) => {
        failure = e;
        if (!ready) reject(e);
        else this.log.error('recorder writer thread failed', { error: e.message });
      });
      w.once('exit', (code) => {
        if (!ready) reject(failure ?? new Error(`recorder writer thread exited (${code}) before it was ready`));
      });
    });
  }

  private onWorkerExit(w: Worker, code: number, failure: Error | null): void {
    if (this.worker !== w) return;
    this.worker = null;
    const lost = this.inFlightRows;
    const planned = this.state === 'stopping' && lost === 0 && failure === null && code === 0;
    if (!planned) {
      this.counters.worker_lost += lost;
      this.log.error('recorder writer thread exited; rows it held are lost', { code, rows: lost, error: failure?.message });
    }
    this.inFlight.clear();
    this.inFlightRows = 0;
    this.inFlightBytes = 0;
    // Nothing waits on a dead thread: queries get a coded error, syncs resolve, exports fail.
    for (const [id, a] of this.answers) {
      this.answers.delete(id);
      const peek = peekEnvelope(a.request);
      a.resolve({
        body: {
          ok: false,
          error: { code: 'INTERNAL', message: 'recorder writer thread restarted during the query' },
          request_topic: REQUEST_TOPIC,
        },
        correlation_id: peek.correlation_id ?? peek.id,
        trace_id: peek.trace_id,
      });
    }
    for (const [id, s] of this.syncs) {
      this.syncs.delete(id);
      s();
    }
    for (const [id, e] of this.exports) {
      this.exports.delete(id);
      e.reject(new Error('recorder writer thread exited during the export'));
    }
    if (this.state === 'running') this.scheduleRestart();
  }

  private scheduleRestart(): void {
    if (this.restartTimer || this.state !== 'running') return;
    const delay = this.restartDelay;
    this.restartDelay = Math.min(MAX_RESTART_DELAY_MS, this.restartDelay * 2);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.state !== 'running') return;
      this.spawnWorker().then(
        () => {
          this.counters.worker_restarts++;
          this.log.warn('recorder writer thread restarted', { restarts: this.counters.worker_restarts });
          this.pump();
        },
        (e: unknown) => {
          this.log.error('recorder writer thread could not be restarted; retrying', {
            error: (e as Error).message,
            in_ms: this.restartDelay,
          });
          this.scheduleRestart();
        },
      );
    }, delay);
    this.restartTimer.unref();
  }

  private onWorkerMessage(m: FromWorker): void {
    switch (m.t) {
      case 'committed': {
        this.settle(m.seq);
        this.dbState = { rows: m.rows, usedBytes: m.usedBytes };
        this.counters.written += m.n;
        this.counters.truncated += m.truncated;
        this.noteFlush(m.ms);
        this.restartDelay = 100;
        this.lastCommit = { id: m.lastId, time: m.lastTime };
        try {
          this.opts.onCommit?.({ rows: m.n, lastId: m.lastId, lastTime: m.lastTime, totalWritten: this.counters.written });
        } catch (e) {
          this.log.warn('recorder onCommit listener threw', { error: (e as Error).message });
        }
        this.pump();
        return;
      }
      case 'batch-failed':
        this.settle(m.seq);
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
      case 'answer': {
        const a = this.answers.get(m.id);
        this.answers.delete(m.id);
        a?.resolve(m);
        return;
      }
      case 'export-chunk': {
        const e = this.exports.get(m.id);
        e?.onChunk(m.text).catch((err: unknown) => {
          // The destination failed: tell the reader to stop, and the caller why.
          this.worker?.postMessage({ t: 'export-cancel', id: m.id } satisfies ToWorker);
          e.reject(err as Error);
        });
        return;
      }
      case 'export-end': {
        const e = this.exports.get(m.id);
        if (m.error !== undefined) e?.reject(new Error(m.error));
        else e?.resolve(m.lines);
        return;
      }
      case 'synced': {
        const s = this.syncs.get(m.id);
        this.syncs.delete(m.id);
        s?.();
        return;
      }
      case 'log':
        this.log[m.level](m.msg, m.fields);
        return;
      case 'ready':
      case 'stopped':
        return;
    }
  }

  private settle(seq: number): void {
    const b = this.inFlight.get(seq);
    if (!b) return;
    this.inFlight.delete(seq);
    this.inFlightRows -= b.n;
    this.inFlightBytes -= b.bytes;
  }

  private noteFlush(ms: number): void {
    this.counters.flushes++;
    this.counters.last_flush_ms = ms;
    this.counters.max_flush_ms = Math.max(this.counters.max_flush_ms, ms);
  }

  private track<T>(p: Promise<T>): void {
    const q = p.then(
      () => undefined,
      () => undefined,
    );
    this.busy.add(q);
    void q.then(() => this.busy.delete(q));
  }

  private sync(): Promise<void> {
    const w = this.worker;
    if (!w) return Promise.resolve();
    const id = ++this.nextId;
    return new Promise<void>((resolve) => {
      this.syncs.set(id, resolve);
      w.postMessage({ t: 'sync', id } satisfies ToWorker);
    });
  }

  // --- publish path: O(1), no parsing, no I/O ---
  private enqueue(p: BusPacket): void {
    if (this.state !== 'running' || this.skip(p.topic)) return;
    // Copied into the open batch right away (see batchCodec.ts): nothing of the packet is kept.
    const b = (this.open ??= new BatchBuilder(Math.min(this.batchSize, this.maxQueue), this.lastBatch.n, this.lastBatch.bytes));
    b.add(p);
    this.queuedRows++;
    this.queuedBytes += p.payload.byteLength;
    if (b.full || b.bytes >= this.maxBatchBytes) this.sealOpen();
    // Over a bound: the oldest whole batch goes (the writer is that far behind).
    while ((this.queuedRows > this.maxQueue || this.queuedBytes > this.maxQueueBytes) && this.sealed.length > 0) {
      const old = this.sealed.shift()!;
      this.queuedRows -= old.n;
      this.queuedBytes -= old.bytes;
      this.counters.dropped += old.n;
    }
    if (this.sealed.length > 0 && this.inFlight.size < MAX_IN_FLIGHT && !this.immediate) {
      this.immediate = setImmediate(() => {
        this.immediate = null;
        this.pump();
      });
    }
  }

  private sealOpen(): void {
    const b = this.open;
    if (!b || b.n === 0) return;
    this.open = null;
    this.lastBatch = { n: b.n, bytes: b.bytes };
    this.sealed.push({ ...b.seal(), n: b.n, bytes: b.bytes });
  }

  /** Post full batches while the writer has room for them. */
  private pump(): void {
    while (this.worker && this.state === 'running' && this.sealed.length > 0 && this.inFlight.size < MAX_IN_FLIGHT) this.postBatch();
  }

  /** Timer: post what is waiting (a partial batch too), or let the writer run retention when idle. */
  private tick(): void {
    const w = this.worker;
    if (this.state !== 'running' || !w) return;
    if (this.inFlight.size < MAX_IN_FLIGHT && (this.sealed.length > 0 || (this.open?.n ?? 0) > 0)) {
      this.sealOpen();
      this.pump();
    } else if (this.inFlight.size === 0) {
      // The age limit moves with the clock even when nothing arrives.
      w.postMessage({ t: 'tick', now: this.now() } satisfies ToWorker);
    }
  }

  /** Post everything queued, past the in-flight bound (flushAll, queries, stop). */
  private sendAll(): void {
    this.sealOpen();
    while (this.worker && this.sealed.length > 0) this.postBatch();
  }

  private postBatch(): void {
    const w = this.worker;
    const s = this.sealed.shift();
    if (!w || !s) return;
    const t0 = performance.now();
    this.queuedRows -= s.n;
    this.queuedBytes -= s.bytes;
    const seq = ++this.seq;
    this.inFlight.set(seq, { n: s.n, bytes: s.bytes });
    this.inFlightRows += s.n;
    this.inFlightBytes += s.bytes;
    w.postMessage({ t: 'batch', seq, now: this.now(), batch: s.batch } satisfies ToWorker, s.transfer);
    this.counters.max_pack_ms = Math.max(this.counters.max_pack_ms, performance.now() - t0);
  }

  // --- queries over the bus: answered on the writer thread, sealed and published here ---
  private onRequest(p: BusPacket): void {
    // Off the broker's delivery call; and Aedes delivers to subscribers before its `published`
    // hook feeds onPublish, so by the next turn the request itself is queued and the answer
    // (an export of "everything so far") includes it, as it did when queries ran here.
    setImmediate(() => this.handleRequest(p));
  }

  private handleRequest(p: BusPacket): void {
    if (this.state !== 'running') return;
    // A flood beyond 1000 waiting is shed.
    if (this.answers.size >= 1000) {
      this.log.warn('recorder request queue full; request dropped');
      return;
    }
    this.counters.queries++;
    const w = this.worker;
    let answered: Promise<{ body: Record<string, unknown>; correlation_id?: string; trace_id?: string }>;
    if (!w) {
      const peek = peekEnvelope(p.payload);
      answered = Promise.resolve({
        body: { ok: false, error: { code: 'INTERNAL', message: 'recorder writer thread is restarting' }, request_topic: REQUEST_TOPIC },
        correlation_id: peek.correlation_id ?? peek.id,
        trace_id: peek.trace_id,
      });
    } else {
      // The query sees what came before it: hand the queue over first, unless the writer is far
      // behind (then the answer reflects what is committed; the queue keeps its drop bound).
      if (this.queuedRows <= QUERY_FLUSH_MAX_BATCHES * this.batchSize) this.sendAll();
      const id = ++this.nextId;
      // A copy of just these bytes (the Buffer may be a view into a larger socket chunk).
      const payload = new Uint8Array(p.payload);
      answered = new Promise((resolve) => this.answers.set(id, { request: p.payload, resolve }));
      w.postMessage({ t: 'query', id, payload, stats: { ...this.stats() } } satisfies ToWorker, [payload.buffer]);
    }
    const sent = answered.then(async (r) => {
      try {
        const msg = seal(r.body, { source: 'recorder', correlation_id: r.correlation_id, trace_id: r.trace_id });
        await this.opts.bus.publish(RESPONSE_TOPIC, JSON.stringify(msg), { qos: 1 });
      } catch (e) {
        // The publish failing (broker closing): nothing else to tell.
        this.log.warn('recorder could not publish a response', { error: (e as Error).message });
      }
    });
    this.track(sent);
  }
}
