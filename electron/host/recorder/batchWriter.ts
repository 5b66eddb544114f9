import type { Database as Db, Statement } from 'better-sqlite3';
import { peekEnvelope } from '../../../services/lib/protocol/decode.js';
import { topicFor } from '../../../services/lib/protocol/topics.js';
import { RefCache } from './refCache.js';
import { patchFromCommand, patchFromResult } from './voiceSessions.js';
import type { VoiceSessionPatch } from './voiceSessions.js';

/** A message waiting in the recorder's queue (what the broker handed over, untouched). */
export interface PendingRow {
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
  clientId: string | null;
  principal: string | null;
  time: number;
}

/** What one committed batch reports: the rowid and time of its last row, and how many payloads were cut. */
export interface InsertResult {
  lastId: number;
  lastTime: number;
  truncated: number;
}

const VOICE_COMMAND = topicFor('alicia/voice/command');
const VOICE_RESULT = topicFor('alicia/voice/result');
const INSERT_COLS =
  'time, topic_ref, payload, size, truncated, qos, retain, client_id, principal, msg_id, trace_ref, correlation_id, session_ref, source';
const INSERT_WIDTH = INSERT_COLS.split(',').length;
/** Rows per INSERT statement (x 14 columns = 448 parameters, far below SQLite's 32766). */
const ROWS_PER_INSERT = 32;

/**
 * The recorder's write path: a batch of rows in one transaction, ROWS_PER_INSERT rows per INSERT
 * statement, topics and trace/session ids interned as small integer refs, per-topic counts and the
 * voice-session summaries kept up to date in the same transaction.
 */
export class BatchWriter {
  /** INSERT of k rows in one statement, by k (1..ROWS_PER_INSERT), prepared on first use */
  private readonly insertMsgs = new Map<number, Statement<unknown[]>>();
  private readonly insertTopic: Statement<[string], { ref: number }>;
  private readonly addTopicCounts: Statement<[number, number, number, number]>;
  private readonly upsertRef: Statement<[string], { ref: number }>;
  private readonly upsertSession: Statement<[VoiceSessionPatch]>;
  /** parameters of the rows waiting for the next multi-row INSERT */
  private readonly args: unknown[] = new Array<unknown>(ROWS_PER_INSERT * INSERT_WIDTH).fill(null);
  private readonly txInsert: (rows: readonly PendingRow[]) => InsertResult;

  constructor(
    private readonly db: Db,
    private readonly refs: RefCache,
    private readonly maxPayloadBytes: number,
  ) {
    this.insertTopic = db.prepare<[string], { ref: number }>(
      `INSERT INTO topics (topic, n, bytes, last_time) VALUES (?, 0, 0, 0) ON CONFLICT(topic) DO UPDATE SET n = n RETURNING ref`,
    );
    this.addTopicCounts = db.prepare<[number, number, number, number]>(
      'UPDATE topics SET n = n + ?, bytes = bytes + ?, last_time = max(last_time, ?) WHERE ref = ?',
    );
    // One statement for a new id and a known one (a known one after a restart, when the cache is empty).
    this.upsertRef = db.prepare<[string], { ref: number }>(
      'INSERT INTO refs (key) VALUES (?) ON CONFLICT(key) DO UPDATE SET key = key RETURNING ref',
    );
    // A command and its result fill different columns of one row, in whichever order they arrive.
    this.upsertSession = db.prepare<VoiceSessionPatch>(
      `INSERT INTO voice_sessions (key, session_id, trace_id, sort_time, started, ended, input, command_text, ok, transcription, intent,
         intent_json, response_text, stage, error_code, error_message, timings, total_ms)
       VALUES (@key, @session_id, @trace_id, @time, @started, @ended, @input, @command_text, @ok, @transcription, @intent,
         @intent_json, @response_text, @stage, @error_code, @error_message, @timings, @total_ms)
       ON CONFLICT(key) DO UPDATE SET
         session_id = coalesce(session_id, excluded.session_id),
         trace_id = coalesce(trace_id, excluded.trace_id),
         sort_time = coalesce(excluded.started, sort_time),
         started = coalesce(excluded.started, started),
         ended = coalesce(excluded.ended, ended),
         input = coalesce(excluded.input, input),
         command_text = coalesce(excluded.command_text, command_text),
         ok = coalesce(excluded.ok, ok),
         transcription = coalesce(excluded.transcription, transcription),
         intent = coalesce(excluded.intent, intent),
         intent_json = coalesce(excluded.intent_json, intent_json),
         response_text = coalesce(excluded.response_text, response_text),
         stage = coalesce(excluded.stage, stage),
         error_code = coalesce(excluded.error_code, error_code),
         error_message = coalesce(excluded.error_message, error_message),
         timings = coalesce(excluded.timings, timings),
         total_ms = coalesce(excluded.total_ms, total_ms)`,
    );
    this.txInsert = db.transaction((rows: readonly PendingRow[]) => this.insertRows(rows));
  }

  /** Insert a batch in one transaction. */
  insert(rows: readonly PendingRow[]): InsertResult {
    try {
      return this.txInsert(rows);
    } catch (e) {
      // Rolled back (disk full, I/O error): topics and refs created in it are gone, and a later
      // one could get the same ref number, so forget every cached ref.
      this.refs.clear();
      throw e;
    } finally {
      this.args.fill(null); // do not hold on to the last payloads
    }
  }

  /** The INSERT for k rows at once: one statement step per ROWS_PER_INSERT rows instead of one per row. */
  private insertMsg(k: number): Statement<unknown[]> {
    let stmt = this.insertMsgs.get(k);
    if (!stmt) {
      stmt = this.db.prepare(
        `INSERT INTO messages (${INSERT_COLS}) VALUES ${Array.from(
          { length: k },
          () =>
            `(${INSERT_COLS.split(',')
              .map(() => '?')
              .join(', ')})`,
        ).join(', ')}`,
      );
      this.insertMsgs.set(k, stmt);
    }
    return stmt;
  }

  /** topics.ref of a topic, created on first sight (inside the insert transaction). */
  private topicRef(topic: string): number {
    return this.refs.topics.get(topic) ?? RefCache.remember(this.refs.topics, topic, this.insertTopic.get(topic)!.ref);
  }

  /** refs.ref of a trace or session id, created on first sight (inside the insert transaction). */
  private keyRef(key: string): number {
    return this.refs.keys.get(key) ?? RefCache.remember(this.refs.keys, key, this.upsertRef.get(key)!.ref);
  }

  private insertRows(rows: readonly PendingRow[]): InsertResult {
    const topics = new Map<number, { n: number; bytes: number; last: number }>();
    let pending = 0;
    let lastId = 0;
    let lastTime = 0;
    let truncated = 0;
    for (const r of rows) {
      const size = r.payload.byteLength;
      // Only JSON objects can be envelopes; skip the parse attempt for binary payloads.
      const env = size > 0 && r.payload[0] === 0x7b ? peekEnvelope(r.payload) : {};
      const cut = size > this.maxPayloadBytes;
      if (cut) truncated++;
      const stored = cut ? r.payload.subarray(0, this.maxPayloadBytes) : r.payload;
      const topicRef = this.topicRef(r.topic);
      const a = this.args;
      let o = pending * INSERT_WIDTH;
      a[o++] = r.time;
      a[o++] = topicRef;
      a[o++] = stored;
      a[o++] = size;
      a[o++] = cut ? 1 : 0;
      a[o++] = r.qos;
      a[o++] = r.retain ? 1 : 0;
      a[o++] = r.clientId;
      a[o++] = r.principal;
      a[o++] = env.id ?? null;
      a[o++] = env.trace_id !== undefined ? this.keyRef(env.trace_id) : null;
      a[o++] = env.correlation_id ?? null;
      a[o++] = env.session_id !== undefined ? this.keyRef(env.session_id) : null;
      a[o] = env.source ?? null;
      if (++pending === ROWS_PER_INSERT) {
        lastId = Number(this.insertMsg(ROWS_PER_INSERT).run(a).lastInsertRowid);
        pending = 0;
      }
      lastTime = r.time;
      const t = topics.get(topicRef);
      if (t) {
        t.n++;
        t.bytes += size;
        t.last = Math.max(t.last, r.time);
      } else topics.set(topicRef, { n: 1, bytes: size, last: r.time });
      let patch: VoiceSessionPatch | null = null;
      if (r.topic === VOICE_COMMAND) patch = patchFromCommand(r.payload, r.time);
      else if (r.topic === VOICE_RESULT) patch = patchFromResult(r.payload, r.time);
      if (patch) this.upsertSession.run(patch);
    }
    if (pending > 0) lastId = Number(this.insertMsg(pending).run(this.args.slice(0, pending * INSERT_WIDTH)).lastInsertRowid);
    for (const [ref, t] of topics) this.addTopicCounts.run(t.n, t.bytes, t.last, ref);
    return { lastId, lastTime, truncated };
  }
}
