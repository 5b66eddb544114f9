import type { Database as Db } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { openDatabase } from '../../services/runtime/sqlite.js';

/** Bumped when the schema changes; migrations below run in order on open. */
export const RECORDER_SCHEMA_VERSION = 1;

/**
 * Open (or create) the recorder database with the settings the recorder relies on.
 *
 * - journal_mode=WAL: readers never block the writer and a commit is one append to the WAL
 *   (https://sqlite.org/wal.html).
 * - synchronous=NORMAL: in WAL mode a commit survives an application crash (kill -9); only an OS
 *   crash or power loss may roll back the last transactions, and the database never corrupts
 *   (https://sqlite.org/pragma.html#pragma_synchronous). History is diagnostics, not money: the
 *   fsync per commit that FULL costs is not worth it at tens of thousands of messages a second.
 * - auto_vacuum=INCREMENTAL, set before the first table exists (it cannot be switched later without
 *   a full VACUUM): deleted pages go to the freelist and are reused by new rows, so at the size
 *   limit the file stays flat; when the file is above the limit (limit lowered, burst), retention
 *   runs `PRAGMA incremental_vacuum(N)` a few pages at a time to give the space back. FULL would
 *   move pages on every commit (cost on the ingest path) and plain VACUUM rewrites the whole file
 *   in one long pause (https://sqlite.org/pragma.html#pragma_auto_vacuum).
 */
export function openRecorderDb(path: string, opts: { walAutocheckpointPages?: number; journalSizeLimit?: number } = {}): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = openDatabase(path);
  try {
    const fresh = (db.prepare(`SELECT count(*) AS n FROM sqlite_master`).get() as { n: number }).n === 0;
    if (fresh) db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('temp_store = MEMORY');
    db.pragma(`wal_autocheckpoint = ${Math.max(16, Math.floor(opts.walAutocheckpointPages ?? 1000))}`);
    // Without a limit the WAL file keeps its high-water size forever after a burst.
    db.pragma(`journal_size_limit = ${Math.max(64 << 10, Math.floor(opts.journalSizeLimit ?? 16 << 20))}`);
    migrate(db);
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

function migrate(db: Db): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > RECORDER_SCHEMA_VERSION) {
    throw new Error(`recorder database schema ${version} is newer than this build (${RECORDER_SCHEMA_VERSION})`);
  }
  if (version < 1) {
    db.exec(`
      -- One row per message the broker accepted. id is the rowid: arrival order, so "oldest" is
      -- the lowest id and retention deletes a contiguous range at the front of the table.
      CREATE TABLE IF NOT EXISTS messages (
        id             INTEGER PRIMARY KEY,
        time           INTEGER NOT NULL,
        topic          TEXT    NOT NULL,
        payload        BLOB    NOT NULL,
        size           INTEGER NOT NULL,
        truncated      INTEGER NOT NULL DEFAULT 0,
        qos            INTEGER NOT NULL,
        retain         INTEGER NOT NULL,
        client_id      TEXT,
        principal      TEXT,
        msg_id         TEXT,
        trace_id       TEXT,
        correlation_id TEXT,
        session_id     TEXT,
        source         TEXT
      );
      -- Every index entry also holds the rowid, so (time) serves keyset paging on (time, id).
      CREATE INDEX IF NOT EXISTS messages_time ON messages(time);
      CREATE INDEX IF NOT EXISTS messages_topic_time ON messages(topic, time);
      CREATE INDEX IF NOT EXISTS messages_trace ON messages(trace_id, time) WHERE trace_id IS NOT NULL;
      CREATE INDEX IF NOT EXISTS messages_session ON messages(session_id, time) WHERE session_id IS NOT NULL;

      -- Per-topic totals kept up to date by inserts and retention, so "counts per topic" never
      -- scans millions of rows on the broker's thread.
      CREATE TABLE IF NOT EXISTS topic_counts (
        topic     TEXT PRIMARY KEY,
        n         INTEGER NOT NULL,
        bytes     INTEGER NOT NULL,
        last_time INTEGER NOT NULL
      ) WITHOUT ROWID;

      -- One row per voice command (alicia/voice/command) and its outcome (alicia/voice/result),
      -- keyed by the command's correlation id. Filled at ingest from the full payloads, because
      -- a result with reply audio can exceed the stored payload limit and no longer parse later.
      CREATE TABLE IF NOT EXISTS voice_sessions (
        key           TEXT PRIMARY KEY,
        session_id    TEXT,
        trace_id      TEXT,
        sort_time     INTEGER NOT NULL,
        started       INTEGER,
        ended         INTEGER,
        input         TEXT,
        command_text  TEXT,
        ok            INTEGER,
        transcription TEXT,
        intent        TEXT,
        intent_json   TEXT,
        response_text TEXT,
        stage         TEXT,
        error_code    TEXT,
        error_message TEXT,
        timings       TEXT,
        total_ms      REAL
      );
      CREATE INDEX IF NOT EXISTS voice_sessions_time ON voice_sessions(sort_time, key);
      PRAGMA user_version = 1;
    `);
  }
}
