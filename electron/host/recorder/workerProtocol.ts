import type { PackedBatch } from './batchCodec.js';
import type { ExportQuery } from './exporter.js';
import type { QueryBounds } from './queries.js';
import type { RetentionLimits } from './retention.js';

/** What the writer thread needs to open the database and enforce the limits (workerData). */
export interface WorkerInit {
  dbPath: string;
  maxPayloadBytes: number;
  limits: RetentionLimits;
  /** bytes the main file may use (the byte limit minus the WAL's share and slack) */
  mainBudget: number;
  walLimit: number;
  walAutocheckpointPages: number;
  retentionChunk: number;
  vacuumPages: number;
  bounds: QueryBounds;
  /** nice value for the writer thread (Linux; 0 = leave it) */
  nice: number;
}

/** Messages from the broker's thread to the writer thread. `now` is the recorder's clock (tests fake it). */
export type ToWorker =
  | { t: 'batch'; seq: number; now: number; batch: PackedBatch }
  | { t: 'tick'; now: number }
  | { t: 'query'; id: number; payload: Uint8Array; stats: Record<string, unknown> }
  | { t: 'export'; id: number; q: ExportQuery }
  | { t: 'export-ack'; id: number }
  /** the destination failed: stop reading */
  | { t: 'export-cancel'; id: number }
  | { t: 'sync'; id: number }
  | { t: 'stop'; now: number };

/** The database as the writer sees it after a step (what stats() reports on the main thread). */
export interface DbState {
  rows: number;
  usedBytes: number;
}

/** Messages from the writer thread back. */
export type FromWorker =
  | ({
      t: 'ready';
      autoVacuum: number;
      /** kernel thread id (Linux), for its CPU time */ tid: number | null;
      /** its nice value, null when unknown */ nice: number | null;
    } & DbState)
  | ({ t: 'committed'; seq: number; n: number; lastId: number; lastTime: number; truncated: number; ms: number } & DbState)
  | ({ t: 'batch-failed'; seq: number; n: number; error: string; ms: number } & DbState)
  | ({ t: 'retention'; deleted: number; vacuumed: number; walTruncated: boolean } & DbState)
  | { t: 'answer'; id: number; body: Record<string, unknown>; correlation_id?: string; trace_id?: string }
  | { t: 'export-chunk'; id: number; text: string }
  | { t: 'export-end'; id: number; lines: number; error?: string }
  | { t: 'synced'; id: number }
  | { t: 'log'; level: 'info' | 'warn' | 'error'; msg: string; fields?: Record<string, unknown> }
  | { t: 'stopped' };
