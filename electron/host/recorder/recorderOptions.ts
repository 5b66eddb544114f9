import type { InProcessBus } from '../broker/types.js';
import type { BatchQueueLimits } from './batchQueue.js';
import { byteBudget } from './budget.js';
import type { Logger } from '../../../services/lib/runtime/logger.js';
import { DEFAULT_LIMITS } from './retention.js';
import type { RetentionLimits } from './retention.js';
import type { WorkerInit } from './workerProtocol.js';
import type { WorkerFactory } from './writerClient.js';

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
  log?: Logger;
  onCommit?: (info: CommitInfo) => void;
  /** clock for the age limit (tests) */
  now?: () => number;
  /** starts the writer thread (default `new Worker`; tests keep the Worker to end it as a crash would) */
  createWorker?: WorkerFactory;
  /**
   * On the user's own broker the recorder is an ordinary subscriber, and what the broker drops
   * before it arrives is counted there (external/mqttBus.ts BusGaps); reported as `gaps` in the stats
   */
  gaps?: () => Record<string, number | null>;
}

/** The options with their defaults applied, in the shapes the queue and the writer thread take. */
export interface RecorderSettings {
  limits: RetentionLimits;
  batchSize: number;
  flushIntervalMs: number;
  queue: BatchQueueLimits;
  init: WorkerInit;
}

export function settingsOf(opts: RecorderOptions): RecorderSettings {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const batchSize = opts.batchSize ?? 8000;
  const budget = byteBudget(limits.maxBytes, opts.vacuumPages);
  return {
    limits,
    batchSize,
    flushIntervalMs: opts.flushIntervalMs ?? 200,
    queue: {
      batchSize,
      maxBatchBytes: budget.maxBatchBytes,
      maxQueue: opts.maxQueue ?? 200_000,
      maxQueueBytes: opts.maxQueueBytes ?? 128 * 1024 * 1024,
    },
    init: {
      dbPath: opts.dbPath,
      maxPayloadBytes: opts.maxPayloadBytes ?? 256 * 1024,
      limits,
      mainBudget: budget.mainBudget,
      walLimit: budget.walLimit,
      walAutocheckpointPages: budget.walAutocheckpointPages,
      retentionChunk: opts.retentionChunk ?? 5000,
      vacuumPages: budget.vacuumPages,
      bounds: { maxResponseBytes: opts.maxResponseBytes ?? 1024 * 1024, maxInlinePayload: opts.maxInlinePayload ?? 64 * 1024 },
      nice: Math.max(0, Math.min(19, Math.floor(opts.writerNice ?? 19))),
    },
  };
}
