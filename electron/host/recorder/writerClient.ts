import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { WorkerOptions } from 'node:worker_threads';
import { AliciaError } from '../../../services/lib/protocol/errors.js';
import { backoffDelay } from '../../../services/lib/runtime/backoff.js';
import type { BackoffOptions } from '../../../services/lib/runtime/backoff.js';
import type { ExportQuery } from './exporter.js';
import type { Logger } from '../../../services/lib/runtime/logger.js';
import type { FromWorker, ToWorker, WorkerInit } from './workerProtocol.js';

/** Starts a writer thread (default `new Worker`); tests pass their own to keep a handle on the thread. */
export type WorkerFactory = (file: URL, options: WorkerOptions) => Worker;

/** The writer thread's reports on the database it holds: on every start, and after each step. */
export type WriterReport = Extract<FromWorker, { t: 'ready' | 'committed' | 'batch-failed' | 'retention' }>;

/** A query's answer from the writer thread: the response body and the ids to reply with. */
export interface WriterAnswer {
  body: Record<string, unknown>;
  correlation_id?: string;
  trace_id?: string;
}

export interface WriterClientOptions {
  init: WorkerInit;
  log: Logger;
  createWorker?: WorkerFactory;
  onReport: (m: WriterReport) => void;
  /** the thread ended (crash, terminate, or stop); called before its pending requests are settled */
  onExit: (code: number, failure: Error | null) => void;
  /** a thread that died has been started again */
  onRestart: () => void;
  /** whether a thread that died is started again (the recorder is running) */
  wanted: () => boolean;
}

/** A request to the writer thread waiting for its reply, by request id. */
type PendingRequest =
  | { kind: 'query'; resolve: (a: WriterAnswer) => void; reject: (e: Error) => void }
  | { kind: 'sync'; resolve: () => void }
  | { kind: 'export'; onChunk: (text: string) => Promise<void>; resolve: (lines: number) => void; reject: (e: Error) => void };

/** Restart delays of a dead writer thread: 100 ms doubling to 5 s, back to 100 ms after a commit. */
const RESTART_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 5000, factor: 2, jitter: 0 };
const STOP_TIMEOUT_MS = 60_000;
/** Modules only the broker's thread loads: their build is not the writer thread's. */
const MAIN_THREAD_ONLY = new Set([
  'recorder.ts',
  'recorderOptions.ts',
  'writerClient.ts',
  'batchQueue.ts',
  'busQueries.ts',
  'budget.ts',
  'log.ts',
]);

/**
 * Where the writer thread's code is. From dist/ (the host, `node dist/...`): the compiled
 * recorderWorker.js next to this file. From source (vitest runs the .ts files through its own
 * transform, which a worker thread does not get; Node 20 cannot load .ts and tsx is not installed):
 * the build in dist/, so tests that start a Recorder need `npx tsc -b tsconfig.build.json` first.
 * A missing or older-than-source build is reported, never silently used.
 */
function workerFile(log: Logger): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL('./recorderWorker.js', import.meta.url);
  const built = new URL('../../../dist/electron/host/recorder/recorderWorker.js', import.meta.url);
  const builtPath = fileURLToPath(built);
  if (!existsSync(builtPath)) {
    throw new Error(
      `recorder: running from source needs the compiled writer thread at ${builtPath}: run \`npx tsc -b tsconfig.build.json\` first`,
    );
  }
  // Each source the thread loads against its own build output.
  const srcDir = fileURLToPath(new URL('./', import.meta.url));
  const outDir = dirname(builtPath);
  const newer = readdirSync(srcDir).filter((f) => {
    if (!f.endsWith('.ts') || f.endsWith('.test.ts') || MAIN_THREAD_ONLY.has(f)) return false;
    const out = join(outDir, f.replace(/\.ts$/, '.js'));
    return !existsSync(out) || statSync(join(srcDir, f)).mtimeMs > statSync(out).mtimeMs;
  });
  if (newer.length > 0)
    log.warn('recorder: the compiled writer thread in dist/ is older than its sources; run `npx tsc -b tsconfig.build.json`', { newer });
  return built;
}

/**
 * The broker's thread's side of the writer thread (recorderWorker.ts): starts it, restarts it
 * with backoff when it dies, and matches its replies to the requests waiting on them. A thread
 * that dies fails nothing silently: queries reject with a coded error, syncs resolve, exports reject.
 */
export class WriterClient {
  private worker: Worker | null = null;
  private exited: Promise<void> = Promise.resolve();
  private restartTimer: NodeJS.Timeout | null = null;
  /** restarts since the last commit: the backoff's attempt */
  private attempt = 0;
  private nextId = 0;
  private readonly pending = new Map<number, PendingRequest>();
  private readonly createWorker: WorkerFactory;

  constructor(private readonly opts: WriterClientOptions) {
    this.createWorker = opts.createWorker ?? ((file, options) => new Worker(file, options));
  }

  /** A writer thread is up (false while one is being restarted). */
  get alive(): boolean {
    return this.worker !== null;
  }

  /** Start a writer thread (it opens the database); resolves once it is ready, rejects when it cannot start. */
  start(): Promise<void> {
    const w = this.createWorker(workerFile(this.opts.log), { workerData: this.opts.init, name: 'alicia-recorder-writer' });
    let ready = false;
    let failure: Error | null = null;
    this.exited = new Promise((resolveExit) => {
      w.once('exit', (code) => {
        resolveExit();
        if (ready) this.onExit(w, code, failure);
      });
    });
    return new Promise<void>((resolve, reject) => {
      w.on('message', (m: FromWorker) => {
        if (m.t === 'ready') {
          ready = true;
          this.worker = w;
          if (m.autoVacuum !== 2) {
            this.opts.log.warn(
              'recorder database was created without incremental auto_vacuum: the file will not shrink below its high-water mark',
              { path: this.opts.init.dbPath },
            );
          }
          this.opts.onReport(m);
          resolve();
          return;
        }
        this.onMessage(m);
      });
      w.on('error', (e) => {
        failure = e;
        if (!ready) reject(e);
        else this.opts.log.error('recorder writer thread failed', { error: e.message });
      });
      w.once('exit', (code) => {
        if (!ready) reject(failure ?? new Error(`recorder writer thread exited (${code}) before it was ready`));
      });
    });
  }

  /** Hand a batch or a clock tick to the thread; false when none is up. */
  post(m: Extract<ToWorker, { t: 'batch' | 'tick' }>, transfer?: ArrayBuffer[]): boolean {
    if (!this.worker) return false;
    this.worker.postMessage(m, transfer);
    return true;
  }

  /** Answer a bus query on the writer thread (it sees every batch posted before it). */
  query(payload: Uint8Array<ArrayBuffer>, stats: Record<string, unknown>): Promise<WriterAnswer> {
    const w = this.worker;
    if (!w) return Promise.reject(new AliciaError('INTERNAL', 'recorder writer thread is restarting'));
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { kind: 'query', resolve, reject });
      w.postMessage({ t: 'query', id, payload, stats } satisfies ToWorker, [payload.buffer]);
    });
  }

  /** Resolves once the thread has handled everything posted before (at once when none is up). */
  sync(): Promise<void> {
    const w = this.worker;
    if (!w) return Promise.resolve();
    const id = ++this.nextId;
    return new Promise<void>((resolve) => {
      this.pending.set(id, { kind: 'sync', resolve });
      w.postMessage({ t: 'sync', id } satisfies ToWorker);
    });
  }

  /**
   * Export on the writer thread: it reads the pages and sends NDJSON text one chunk at a time;
   * the next chunk comes once onChunk has resolved. Resolves with the number of lines.
   */
  export(q: ExportQuery, onChunk: (text: string) => Promise<void>): Promise<number> {
    const w = this.worker;
    if (!w) return Promise.reject(new AliciaError('INTERNAL', 'recorder writer thread is restarting'));
    const id = ++this.nextId;
    return new Promise<number>((resolve, reject) => {
      this.pending.set(id, {
        kind: 'export',
        onChunk: async (text) => {
          await onChunk(text);
          w.postMessage({ t: 'export-ack', id } satisfies ToWorker);
        },
        resolve,
        reject,
      });
      w.postMessage({ t: 'export', id, q: { ...q } } satisfies ToWorker);
    });
  }

  /** Stop restarting a dead thread. */
  cancelRestart(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
  }

  /** Let the thread drain what it was handed, checkpoint and exit; terminated after STOP_TIMEOUT_MS. */
  async stop(now: number): Promise<void> {
    this.cancelRestart();
    const w = this.worker;
    if (!w) return;
    w.postMessage({ t: 'stop', now } satisfies ToWorker);
    const timeout = setTimeout(() => {
      this.opts.log.error('recorder writer did not stop in time; terminating it');
      void w.terminate();
    }, STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timeout);
  }

  private onExit(w: Worker, code: number, failure: Error | null): void {
    if (this.worker !== w) return;
    this.worker = null;
    this.opts.onExit(code, failure);
    // Nothing waits on a dead thread: queries get a coded error, syncs resolve, exports fail.
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      if (p.kind === 'query') p.reject(new AliciaError('INTERNAL', 'recorder writer thread restarted during the query'));
      else if (p.kind === 'sync') p.resolve();
      else p.reject(new AliciaError('INTERNAL', 'recorder writer thread exited during the export'));
    }
    if (this.opts.wanted()) this.scheduleRestart();
  }

  private scheduleRestart(): void {
    if (this.restartTimer || !this.opts.wanted()) return;
    const delay = backoffDelay(this.attempt++, RESTART_BACKOFF);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.opts.wanted()) return;
      this.start().then(
        () => this.opts.onRestart(),
        (e: unknown) => {
          this.opts.log.error('recorder writer thread could not be restarted; retrying', {
            error: (e as Error).message,
            in_ms: backoffDelay(this.attempt, RESTART_BACKOFF),
          });
          this.scheduleRestart();
        },
      );
    }, delay);
    this.restartTimer.unref();
  }

  private onMessage(m: Exclude<FromWorker, { t: 'ready' }>): void {
    switch (m.t) {
      case 'committed':
        this.attempt = 0;
        this.opts.onReport(m);
        return;
      case 'batch-failed':
      case 'retention':
        this.opts.onReport(m);
        return;
      case 'answer': {
        const p = this.take(m.id);
        if (p?.kind === 'query') p.resolve(m);
        return;
      }
      case 'export-chunk': {
        const p = this.pending.get(m.id);
        if (p?.kind !== 'export') return;
        p.onChunk(m.text).catch((err: unknown) => {
          // The destination failed: tell the reader to stop, and the caller why.
          this.pending.delete(m.id);
          this.worker?.postMessage({ t: 'export-cancel', id: m.id } satisfies ToWorker);
          p.reject(err as Error);
        });
        return;
      }
      case 'export-end': {
        const p = this.take(m.id);
        if (p?.kind !== 'export') return;
        if (m.error !== undefined) p.reject(new Error(m.error));
        else p.resolve(m.lines);
        return;
      }
      case 'synced': {
        const p = this.take(m.id);
        if (p?.kind === 'sync') p.resolve();
        return;
      }
      case 'log':
        this.opts.log[m.level](m.msg, m.fields);
        return;
      case 'stopped':
        return;
    }
  }

  /** The request this reply settles, no longer pending. */
  private take(id: number): PendingRequest | undefined {
    const p = this.pending.get(id);
    this.pending.delete(id);
    return p;
  }
}
