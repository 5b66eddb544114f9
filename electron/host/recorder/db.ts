import type { Database as Db } from 'better-sqlite3';
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { openDatabase } from '../../../services/lib/runtime/sqlite.js';

/** Size of a database file in bytes; 0 when it does not exist (no WAL yet). */
export function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Bumped when the schema changes; migrations below run in order on open. */
export const RECORDER_SCHEMA_VERSION = 2;

/**
 * Page cache of each recorder connection, KiB. better-sqlite3 builds SQLite with a 16 MiB default
 * (SQLITE_DEFAULT_CACHE_SIZE=-16000 in its deps/defines.gypi), and a connection keeps every page it
 * touched until that much is cached: under steady traffic the writer's cache (and the reader's)
 * filled for minutes, which showed as the host's memory climbing by ~30 MiB. The writer appends
 * (the right edge of each B-tree and the index pages of the busy topics), which 4 MiB holds.
 */
export const RECORDER_CACHE_KIB = 4096;

/** Cap a recorder connection's page cache (RECORDER_CACHE_KIB); a negative cache_size is KiB (sqlite.org/pragma.html#pragma_cache_size). */
export function limitPageCache(db: Db): Db {
  db.pragma(`cache_size = -${RECORDER_CACHE_KIB}`);
  return db;
}

/**
 * Open (or create) the recorder database with the settings the recorder relies on.
 *
 * - journal_mode=WAL: readers never block the writer and a commit is one append to the WAL
 *   (https://sqlite.org/wal.html).
 * - synchronous=NORMAL: in WAL mode a commit survives an application crash (kill -9); only an OS
 *   crash or power loss may roll back the last transactions, and the database never corrupts
 *   (https://sqlite.org/pragma.html#pragma_synchronous). History is diagnostics, not money: the
 *   fsync per commit that FULL costs is not worth it at tens of thousands of messages a second.
 * - cache_size: RECORDER_CACHE_KIB, not better-sqlite3's 16 MiB.
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
    limitPageCache(db);
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
  if (version === RECORDER_SCHEMA_VERSION) return;
  // One transaction: a crash half-way leaves the old schema, and the next start tries again.
  db.transaction(() => {
    if (version === 0) db.exec(SCHEMA_V2);
    else if (version === 1) migrateV1toV2(db);
    db.pragma(`user_version = ${RECORDER_SCHEMA_VERSION}`);
  })();
}

/**
 * Schema 2. Every message costs one row plus one entry in each index, and an index whose new
 * entries land all over the tree (a random UUID trace id, hundreds of topics) dirties a different
 * page per row, so each commit rewrote thousands of pages to the WAL. So topics, trace ids and
 * session ids are stored once in their own tables and messages carry small integer refs: a new
 * trace gets the next ref, so its index entries are appended at the right edge of the tree.
 * Measured in `npm run bench` (recorder section): see docs/benchmarks.md and docs/decisions.md.
 */
const SCHEMA_V2 = `
  -- One row per message the broker accepted. id is the rowid: arrival order, so "oldest" is
  -- the lowest id and retention deletes a contiguous range at the front of the table.
  CREATE TABLE messages (
    id             INTEGER PRIMARY KEY,
    time           INTEGER NOT NULL,
    topic_ref      INTEGER NOT NULL,
    payload        BLOB    NOT NULL,
    size           INTEGER NOT NULL,
    truncated      INTEGER NOT NULL DEFAULT 0,
    qos            INTEGER NOT NULL,
    retain         INTEGER NOT NULL,
    client_id      TEXT,
    principal      TEXT,
    msg_id         TEXT,
    trace_ref      INTEGER,
    correlation_id TEXT,
    session_ref    INTEGER,
    source         TEXT
  );
  -- Every index entry also holds the rowid, so (time) serves keyset paging on (time, id).
  CREATE INDEX messages_time ON messages(time);
  CREATE INDEX messages_topic_time ON messages(topic_ref, time);
  CREATE INDEX messages_trace ON messages(trace_ref, time) WHERE trace_ref IS NOT NULL;
  CREATE INDEX messages_session ON messages(session_ref, time) WHERE session_ref IS NOT NULL;

  -- Every topic once, with totals kept up to date by inserts and retention, so "counts per
  -- topic" never scans millions of rows. A topic whose rows are all gone is deleted.
  CREATE TABLE topics (
    ref       INTEGER PRIMARY KEY,
    topic     TEXT    NOT NULL UNIQUE,
    n         INTEGER NOT NULL,
    bytes     INTEGER NOT NULL,
    last_time INTEGER NOT NULL
  );

  -- Trace and session ids, once each. Refs grow with first sight; retention deletes the refs
  -- below the lowest one a kept message still uses.
  CREATE TABLE refs (
    ref INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE
  );

  -- The messages with their text back (for people with the sqlite3 shell, and tests).
  CREATE VIEW message_rows AS
    SELECT m.id, m.time, t.topic, m.payload, m.size, m.truncated, m.qos, m.retain, m.client_id, m.principal, m.msg_id,
           tr.key AS trace_id, m.correlation_id, sr.key AS session_id, m.source
      FROM messages m
      LEFT JOIN topics t ON t.ref = m.topic_ref
      LEFT JOIN refs tr ON tr.ref = m.trace_ref
      LEFT JOIN refs sr ON sr.ref = m.session_ref;

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
`;

/** Schema 1 (text topic, trace and session columns in every row) to 2, keeping every row and its id. */
function migrateV1toV2(db: Db): void {
  db.exec(`
    ALTER TABLE messages RENAME TO messages_v1;
    DROP INDEX IF EXISTS messages_time;
    DROP INDEX IF EXISTS messages_topic_time;
    DROP INDEX IF EXISTS messages_trace;
    DROP INDEX IF EXISTS messages_session;
    ${SCHEMA_V2}
    INSERT INTO topics (topic, n, bytes, last_time)
      SELECT topic, count(*), sum(size), max(time) FROM messages_v1 GROUP BY topic ORDER BY min(id);
    INSERT OR IGNORE INTO refs (key)
      SELECT k FROM (
        SELECT trace_id AS k, min(id) AS first FROM messages_v1 WHERE trace_id IS NOT NULL GROUP BY trace_id
        UNION ALL
        SELECT session_id, min(id) FROM messages_v1 WHERE session_id IS NOT NULL GROUP BY session_id
      ) ORDER BY first;
    INSERT INTO messages (id, time, topic_ref, payload, size, truncated, qos, retain, client_id, principal, msg_id,
                          trace_ref, correlation_id, session_ref, source)
      SELECT m.id, m.time, t.ref, m.payload, m.size, m.truncated, m.qos, m.retain, m.client_id, m.principal, m.msg_id,
             tr.ref, m.correlation_id, sr.ref, m.source
        FROM messages_v1 m
        JOIN topics t ON t.topic = m.topic
        LEFT JOIN refs tr ON tr.key = m.trace_id
        LEFT JOIN refs sr ON sr.key = m.session_id
       ORDER BY m.id;
    DROP TABLE messages_v1;
    DROP TABLE IF EXISTS topic_counts;
  `);
}
