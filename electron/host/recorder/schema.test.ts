import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seal } from '../../../services/lib/protocol/envelope.js';
import { openRecorderDb, RECORDER_CACHE_KIB, RECORDER_SCHEMA_VERSION } from './db.js';
import { compileFilter } from './filter.js';
import { DEFAULT_LIMITS } from './retention.js';
import { RecorderStore } from './store.js';
import type { PendingRow } from './batchWriter.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'alicia-schema-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

let clock = 1_700_000_000_000;
function row(topic: string, body: Record<string, unknown>, ids: { trace_id?: string; session_id?: string } = {}): PendingRow {
  return {
    topic,
    payload: Buffer.from(JSON.stringify(seal(body, { source: 'test', ...ids }))),
    qos: 1,
    retain: false,
    clientId: 'c1',
    principal: 'operator',
    time: clock++,
  };
}

const limits = (maxRows: number) => ({ ...DEFAULT_LIMITS, maxRows });

describe('recorder schema 2 (interned topics, trace and session ids)', () => {
  it('gives trace ids, session ids and topics deleted by retention new refs when they come back', () => {
    const db = openRecorderDb(join(dir, 'r.db'));
    const store = new RecorderStore(db, 64 * 1024);
    store.insertBatch([row('a/one', { i: 0 }, { trace_id: 'T', session_id: 'S' }), row('a/two', { i: 1 }, { trace_id: 'U' })]);
    store.insertBatch([row('a/three', { i: 2 })]);
    // Keep 1 row: the first two go, with their topics and ids.
    while (store.retentionStep(limits(1), Number.MAX_SAFE_INTEGER, clock, 10, 0).deleted > 0);
    expect(store.rows).toBe(1);
    // Only the kept row's own trace id (seal gives every message one) is left.
    const keptTrace = store.page({ order: 'asc', limit: 10, payload: 'none' }).messages[0]!.trace_id;
    expect((db.prepare('SELECT key FROM refs').all() as { key: string }[]).map((r) => r.key)).toEqual([keptTrace]);
    expect((db.prepare('SELECT topic FROM topics ORDER BY topic').all() as { topic: string }[]).map((r) => r.topic)).toEqual(['a/three']);
    expect(store.page({ traceId: 'T', order: 'asc', limit: 10, payload: 'none' }).messages).toEqual([]);
    // The same strings again (the store had them cached): found again, not lost under a dead ref.
    store.insertBatch([row('a/one', { i: 3 }, { trace_id: 'T', session_id: 'S' }), row('a/one', { i: 4 }, { trace_id: 'T' })]);
    const trace = store.page({ traceId: 'T', order: 'asc', limit: 10, payload: 'full' }).messages;
    expect(trace.map((m) => (JSON.parse(m.payload!.toString()) as { i: number }).i)).toEqual([3, 4]);
    expect(trace.every((m) => m.topic === 'a/one' && m.trace_id === 'T')).toBe(true);
    expect(store.page({ sessionId: 'S', order: 'asc', limit: 10, payload: 'none' }).messages.map((m) => m.session_id)).toEqual(['S']);
    expect(store.counts(compileFilter('#'), 10).topics.map((t) => [t.topic, t.count])).toEqual([
      ['a/one', 2],
      ['a/three', 1],
    ]);
    expect(store.page({ filter: compileFilter('a/one'), order: 'asc', limit: 10, payload: 'none' }).messages).toHaveLength(2);
    db.close();
  });

  it('keeps refs that kept rows still use', () => {
    const db = openRecorderDb(join(dir, 'r.db'));
    const store = new RecorderStore(db, 64 * 1024);
    // A long conversation: session S started first and goes on after later traces came and went.
    store.insertBatch([row('v/cmd', {}, { session_id: 'S', trace_id: 'T1' }), row('v/cmd', {}, { trace_id: 'T2' })]);
    store.insertBatch([row('v/cmd', {}, { session_id: 'S', trace_id: 'T3' })]);
    while (store.retentionStep(limits(1), Number.MAX_SAFE_INTEGER, clock, 10, 0).deleted > 0);
    const kept = store.page({ order: 'asc', limit: 10, payload: 'none' }).messages;
    expect(kept.map((m) => [m.session_id, m.trace_id])).toEqual([['S', 'T3']]);
    expect(store.page({ sessionId: 'S', order: 'asc', limit: 10, payload: 'none' }).messages).toHaveLength(1);
    db.close();
  });

  it('migrates a schema 1 database: every row, id, topic, trace and session, and the counts', () => {
    const path = join(dir, 'v1.db');
    const v1 = new Database(path);
    v1.exec(`
      CREATE TABLE messages (id INTEGER PRIMARY KEY, time INTEGER NOT NULL, topic TEXT NOT NULL, payload BLOB NOT NULL,
        size INTEGER NOT NULL, truncated INTEGER NOT NULL DEFAULT 0, qos INTEGER NOT NULL, retain INTEGER NOT NULL,
        client_id TEXT, principal TEXT, msg_id TEXT, trace_id TEXT, correlation_id TEXT, session_id TEXT, source TEXT);
      CREATE INDEX messages_time ON messages(time);
      CREATE INDEX messages_topic_time ON messages(topic, time);
      CREATE INDEX messages_trace ON messages(trace_id, time) WHERE trace_id IS NOT NULL;
      CREATE INDEX messages_session ON messages(session_id, time) WHERE session_id IS NOT NULL;
      CREATE TABLE topic_counts (topic TEXT PRIMARY KEY, n INTEGER NOT NULL, bytes INTEGER NOT NULL, last_time INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE voice_sessions (key TEXT PRIMARY KEY, session_id TEXT, trace_id TEXT, sort_time INTEGER NOT NULL, started INTEGER,
        ended INTEGER, input TEXT, command_text TEXT, ok INTEGER, transcription TEXT, intent TEXT, intent_json TEXT, response_text TEXT,
        stage TEXT, error_code TEXT, error_message TEXT, timings TEXT, total_ms REAL);
      INSERT INTO messages VALUES (5, 1000, 'x/a', X'7B7D', 2, 0, 1, 0, 'c', 'operator', 'm5', 'T', 'k5', 'S', 'src');
      INSERT INTO messages VALUES (9, 1001, 'x/b', X'00', 1, 0, 0, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
      INSERT INTO messages VALUES (12, 1002, 'x/a', X'7B7D', 2, 0, 1, 0, 'c', 'operator', 'm12', 'T', NULL, NULL, 'src');
      INSERT INTO topic_counts VALUES ('x/a', 2, 4, 1002), ('x/b', 1, 1, 1001);
      INSERT INTO voice_sessions (key, sort_time) VALUES ('k5', 1000);
      PRAGMA user_version = 1;
    `);
    v1.close();
    const db = openRecorderDb(path);
    expect(db.pragma('user_version', { simple: true })).toBe(RECORDER_SCHEMA_VERSION);
    const store = new RecorderStore(db, 64 * 1024);
    const all = store.page({ order: 'asc', limit: 10, payload: 'full' }).messages;
    expect(all.map((m) => [m.id, m.time, m.topic, m.trace_id, m.session_id, m.msg_id, m.correlation_id, m.retain, m.qos])).toEqual([
      [5, 1000, 'x/a', 'T', 'S', 'm5', 'k5', false, 1],
      [9, 1001, 'x/b', null, null, null, null, true, 0],
      [12, 1002, 'x/a', 'T', null, 'm12', null, false, 1],
    ]);
    expect(all[1]!.payload).toEqual(Buffer.from([0]));
    expect(store.page({ traceId: 'T', order: 'asc', limit: 10, payload: 'none' }).messages.map((m) => m.id)).toEqual([5, 12]);
    expect(store.counts(compileFilter('x/#'), 10).topics).toEqual([
      { topic: 'x/a', count: 2, bytes: 4, last_time: 1002 },
      { topic: 'x/b', count: 1, bytes: 1, last_time: 1001 },
    ]);
    expect(store.sessions({ limit: 10 }).sessions.map((s) => s.key)).toEqual(['k5']);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name IN ('messages_v1', 'topic_counts')").get()).toEqual({ n: 0 });
    // New rows go on after the migrated ids, into the same topics.
    store.insertBatch([row('x/a', {}, { trace_id: 'T' })]);
    expect(store.page({ traceId: 'T', order: 'asc', limit: 10, payload: 'none' }).messages.map((m) => m.id)).toEqual([5, 12, 13]);
    db.close();
  });

  it("caps the connection's page cache below better-sqlite3's 16 MiB default", () => {
    const db = openRecorderDb(join(dir, 'cache.db'));
    try {
      expect(db.pragma('cache_size', { simple: true })).toBe(-RECORDER_CACHE_KIB);
      expect(RECORDER_CACHE_KIB).toBeLessThan(16_000);
    } finally {
      db.close();
    }
  });

  it('refuses a database from a newer build', () => {
    const path = join(dir, 'new.db');
    const db = new Database(path);
    db.pragma(`user_version = ${RECORDER_SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openRecorderDb(path)).toThrow(/newer than this build/);
  });
});
