import type { Database as Db } from 'better-sqlite3';
import { BatchWriter } from './batchWriter.js';
import type { InsertResult, PendingRow } from './batchWriter.js';
import type { CompiledFilter } from './filter.js';
import { HistoryReader } from './historyReader.js';
import type { PageQuery, PageResult, SessionPage, SessionQuery, StoredMessage, TopicCount } from './historyReader.js';
import { RefCache } from './refCache.js';
import { Retention } from './retention.js';
import type { PageUse, RetentionStepArgs, RetentionStepResult } from './retention.js';

/**
 * The recorder's SQLite layer: batched inserts (batchWriter.ts), chunked retention
 * (retention.ts) and the indexed reads behind every query (historyReader.ts) on one connection,
 * sharing its cache of interned refs and the row count. Synchronous (better-sqlite3); the writer
 * thread decides when it runs.
 */
export class RecorderStore {
  private readonly writer: BatchWriter;
  private readonly retention: Retention;
  private readonly reader: HistoryReader;
  private rowCount: number;

  constructor(
    readonly db: Db,
    maxPayloadBytes: number,
  ) {
    const refs = new RefCache();
    this.writer = new BatchWriter(db, refs, maxPayloadBytes);
    this.retention = new Retention(db, refs);
    this.reader = new HistoryReader(db, refs);
    this.rowCount = db.prepare<[], number>('SELECT count(*) FROM messages').pluck().get()!;
  }

  get rows(): number {
    return this.rowCount;
  }

  /** Insert a batch in one transaction. Returns the rowid and time of its last row. */
  insertBatch(rows: readonly PendingRow[]): InsertResult {
    const r = this.writer.insert(rows);
    this.rowCount += rows.length;
    return r;
  }

  /** Bytes in use by live pages, the whole main file, and the page size. */
  pages(): PageUse {
    return this.retention.pages();
  }

  /** One small retention step (see Retention.step). */
  retentionStep(...args: RetentionStepArgs): RetentionStepResult {
    const r = this.retention.step(this.rowCount, ...args);
    this.rowCount -= r.deleted;
    return r;
  }

  page(q: PageQuery, maxScan?: number): PageResult {
    return this.reader.page(q, maxScan);
  }

  /** One stored message by its row id, payload cut at `clip` bytes; null when there is none. */
  message(id: number, clip: number): StoredMessage | null {
    return this.reader.message(id, clip);
  }

  sessions(q: SessionQuery): SessionPage {
    return this.reader.sessions(q);
  }

  counts(f: CompiledFilter, limit: number): { topics: TopicCount[]; truncated: boolean } {
    return this.reader.counts(f, limit);
  }
}
