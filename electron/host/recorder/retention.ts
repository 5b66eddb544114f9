import type { Database as Db, Statement } from 'better-sqlite3';
import type { RefCache } from './refCache.js';

export interface RetentionLimits {
  /** rows older than this go (ms) */
  maxAgeMs: number;
  /** the database files (main + WAL) stay under this */
  maxBytes: number;
  maxRows: number;
}

export const DEFAULT_LIMITS: RetentionLimits = {
  maxAgeMs: 7 * 24 * 3600_000,
  maxBytes: 500 * 1024 * 1024,
  maxRows: 5_000_000,
};

/** Pages of the main file: bytes in use by live pages, the whole file, free pages, and the page size. */
export interface PageUse {
  used: number;
  file: number;
  free: number;
  pageSize: number;
}

/** What one retention step works to: the limits, the main file's byte budget, the clock, and its step sizes. */
export type RetentionStepArgs = [limits: RetentionLimits, mainBudget: number, now: number, maxChunk: number, vacuumPages: number];

export interface RetentionStepResult {
  deleted: number;
  vacuumed: number;
}

/**
 * Retention: deletes the oldest rows (by arrival, a contiguous rowid range at the front of the
 * table) that break a row, age or size limit, keeps the per-topic counts, interned refs and voice
 * summaries in step with them, and gives free pages back to the file system (incremental vacuum).
 */
export class Retention {
  private readonly pageSize: number;
  private readonly pageCounts: Statement<[], { count: number; free: number }>;
  private readonly oldest: Statement<[], { time: number }>;
  private readonly lastAged: Statement<[number, number], { id: number | null }>;
  private readonly nthOldest: Statement<[number], { id: number }>;
  private readonly maxId: Statement<[], { id: number | null }>;
  private readonly perTopic: Statement<[number], { topic_ref: number; n: number; bytes: number }>;
  private readonly decTopic: Statement<[number, number, number]>;
  private readonly deleteMessages: Statement<[number]>;
  private readonly deleteEmptyTopics: Statement<[], { topic: string }>;
  private readonly lowestKeptRef: Statement<[], { low: number }>;
  private readonly deleteRefs: Statement<[number], { key: string }>;
  private readonly deleteSessionsBefore: Statement<[number]>;
  private readonly deleteAllSessions: Statement<[]>;
  private readonly txDelete: (maxId: number) => number;

  constructor(
    private readonly db: Db,
    private readonly refs: RefCache,
  ) {
    this.pageSize = db.prepare<[], number>('SELECT page_size FROM pragma_page_size()').pluck().get()!;
    this.pageCounts = db.prepare<[], { count: number; free: number }>(
      'SELECT (SELECT page_count FROM pragma_page_count()) AS count, (SELECT freelist_count FROM pragma_freelist_count()) AS free',
    );
    this.oldest = db.prepare<[], { time: number }>('SELECT time FROM messages ORDER BY id LIMIT 1');
    this.lastAged = db.prepare<[number, number], { id: number | null }>(
      'SELECT max(id) AS id FROM (SELECT id, time FROM messages ORDER BY id LIMIT ?) WHERE time < ?',
    );
    this.nthOldest = db.prepare<[number], { id: number }>('SELECT id FROM messages ORDER BY id LIMIT 1 OFFSET ?');
    this.maxId = db.prepare<[], { id: number | null }>('SELECT max(id) AS id FROM messages');
    // "+topic_ref": read the rowid range being deleted; grouping on the bare column made the
    // planner walk the whole (topic_ref, time) index instead (32 ms at 200k rows, growing with the table).
    this.perTopic = db.prepare<[number], { topic_ref: number; n: number; bytes: number }>(
      'SELECT topic_ref, count(*) AS n, sum(size) AS bytes FROM messages WHERE id <= ? GROUP BY +topic_ref',
    );
    this.decTopic = db.prepare<[number, number, number]>('UPDATE topics SET n = n - ?, bytes = bytes - ? WHERE ref = ?');
    this.deleteMessages = db.prepare<[number]>('DELETE FROM messages WHERE id <= ?');
    this.deleteEmptyTopics = db.prepare<[], { topic: string }>('DELETE FROM topics WHERE n <= 0 RETURNING topic');
    this.lowestKeptRef = db.prepare<[], { low: number }>(
      `SELECT min(coalesce((SELECT min(trace_ref) FROM messages WHERE trace_ref IS NOT NULL), 9e18),
                  coalesce((SELECT min(session_ref) FROM messages WHERE session_ref IS NOT NULL), 9e18)) AS low`,
    );
    this.deleteRefs = db.prepare<[number], { key: string }>('DELETE FROM refs WHERE ref < ? RETURNING key');
    this.deleteSessionsBefore = db.prepare<[number]>('DELETE FROM voice_sessions WHERE sort_time < ?');
    this.deleteAllSessions = db.prepare<[]>('DELETE FROM voice_sessions');
    this.txDelete = db.transaction((maxId: number) => this.deleteUpTo(maxId));
  }

  pages(): PageUse {
    const pageSize = this.pageSize;
    const { count, free } = this.pageCounts.get()!;
    return { used: (count - free) * pageSize, file: count * pageSize, free, pageSize };
  }

  /**
   * One small step for a table of `rows` rows: delete at most maxChunk of the oldest rows (by
   * arrival) that break a limit, then give back at most vacuumPages free pages when the file is
   * above its budget. Small steps, called after every flush, keep each pause short (a few ms)
   * while still deleting faster than any sustained ingest the broker can deliver.
   */
  step(rows: number, ...[limits, mainBudget, now, maxChunk, vacuumPages]: RetentionStepArgs): RetentionStepResult {
    let upTo = 0;
    if (rows > limits.maxRows) upTo = Math.max(upTo, this.nthOldestId(Math.min(rows - limits.maxRows, maxChunk)));
    const cutoff = now - limits.maxAgeMs;
    // Most steps find nothing old: one row read decides that, before reading a chunk.
    const oldest = this.oldest.get()?.time ?? null;
    if (oldest !== null && oldest < cutoff) {
      const aged = this.lastAged.get(maxChunk, cutoff)!;
      if (aged.id !== null) upTo = Math.max(upTo, aged.id);
    }
    const p = this.pages();
    if (p.used > mainBudget && rows > 0) {
      // Estimate rows to free from the average row footprint; at least a few pages' worth so
      // partially emptied index pages do not make us crawl.
      const avg = Math.max(1, p.used / rows);
      const want = Math.ceil((p.used - mainBudget) / avg) + Math.ceil((8 * p.pageSize) / avg);
      upTo = Math.max(upTo, this.nthOldestId(Math.min(Math.max(want, 1), maxChunk)));
    }
    let deleted = 0;
    if (upTo > 0) deleted = this.txDelete(upTo);
    let vacuumed = 0;
    const after = deleted > 0 ? this.pages() : p;
    if (after.file > mainBudget && after.free > 0) {
      const n = Math.min(after.free, vacuumPages);
      this.db.pragma(`incremental_vacuum(${n})`);
      vacuumed = n;
    }
    return { deleted, vacuumed };
  }

  private nthOldestId(n: number): number {
    if (n <= 0) return 0;
    return this.nthOldest.get(n - 1)?.id ?? this.maxId.get()?.id ?? 0;
  }

  /** Delete every row up to maxId (inside a transaction) and what only they used; returns the rows deleted. */
  private deleteUpTo(maxId: number): number {
    for (const t of this.perTopic.all(maxId)) this.decTopic.run(t.n, t.bytes, t.topic_ref);
    const changes = this.deleteMessages.run(maxId).changes;
    // A topic with no rows left goes, and so does every trace/session id below the lowest ref a
    // kept row still uses (refs are handed out in first-seen order). The caches forget them too.
    for (const r of this.deleteEmptyTopics.all()) this.refs.topics.delete(r.topic);
    for (const r of this.deleteRefs.all(this.lowestKeptRef.get()!.low)) this.refs.keys.delete(r.key);
    // Voice summaries go with the oldest message still kept.
    const oldest = this.oldest.get();
    if (oldest) this.deleteSessionsBefore.run(oldest.time);
    else this.deleteAllSessions.run();
    return changes;
  }
}
