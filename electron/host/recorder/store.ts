import type { Database as Db, Statement } from 'better-sqlite3';
import { peekEnvelope } from '../../../services/lib/protocol/decode.js';
import { topicFor } from '../../../services/lib/protocol/topics.js';
import type { Cursor } from './cursor.js';
import { filterAccepts } from './filter.js';
import type { CompiledFilter } from './filter.js';
import { patchFromCommand, patchFromResult, summaryFromRow } from './voiceSessions.js';
import type { VoiceSessionPatch, VoiceSessionSummary } from './voiceSessions.js';

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

/** A stored message as queries return it. */
export interface StoredMessage {
  id: number;
  time: number;
  topic: string;
  qos: number;
  retain: boolean;
  client_id: string | null;
  principal: string | null;
  msg_id: string | null;
  trace_id: string | null;
  correlation_id: string | null;
  session_id: string | null;
  source: string | null;
  /** original payload size in bytes */
  size: number;
  /** the stored payload is cut at the recorder's payload limit */
  truncated: boolean;
  /** stored bytes (possibly clipped further by the query); absent when not asked for */
  payload?: Buffer;
}

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

export interface PageQuery {
  filter?: CompiledFilter;
  traceId?: string;
  sessionId?: string;
  from?: number;
  to?: number;
  after?: Cursor;
  order: 'asc' | 'desc';
  limit: number;
  /** none: no payload; a number: payload clipped to that many bytes; full: stored payload */
  payload: 'none' | 'full' | number;
}

export interface PageResult {
  messages: StoredMessage[];
  /** where the next page starts; null when the range is exhausted */
  next: Cursor | null;
  /** rows read to find these (wildcard filters check every candidate) */
  scanned: number;
}

const VOICE_COMMAND = topicFor('alicia/voice/command');
const VOICE_RESULT = topicFor('alicia/voice/result');
/** The row with its topic, trace and session text joined back; messages stay the outer loop (LEFT JOIN keeps the order). */
const FROM = `messages m LEFT JOIN topics t ON t.ref = m.topic_ref LEFT JOIN refs tr ON tr.ref = m.trace_ref LEFT JOIN refs sr ON sr.ref = m.session_ref`;
const COLS =
  'm.id AS id, m.time AS time, t.topic AS topic, m.qos AS qos, m.retain AS retain, m.client_id AS client_id, m.principal AS principal, m.msg_id AS msg_id, tr.key AS trace_id, m.correlation_id AS correlation_id, sr.key AS session_id, m.source AS source, m.size AS size, m.truncated AS truncated';
const INSERT_COLS =
  'time, topic_ref, payload, size, truncated, qos, retain, client_id, principal, msg_id, trace_ref, correlation_id, session_ref, source';
const INSERT_WIDTH = INSERT_COLS.split(',').length;
/** Rows per INSERT statement (x 14 columns = 448 parameters, far below SQLite's 32766). */
const ROWS_PER_INSERT = 32;
/** Interned strings kept in memory; past this the cache starts over (the tables hold them all). */
const MAX_CACHED_REFS = 100_000;
/** More matching topics than this and a wildcard query scans the time index instead of merging per-topic index ranges. */
const MAX_MERGE_TOPICS = 200;

/** Cache a ref (the cache starts over when full: the tables hold every ref anyway). */
function remember(cache: Map<string, number>, key: string, ref: number): number {
  if (cache.size >= MAX_CACHED_REFS) cache.clear();
  cache.set(key, ref);
  return ref;
}

function toMessage(r: Record<string, unknown>): StoredMessage {
  const m: StoredMessage = {
    id: r.id as number,
    time: r.time as number,
    topic: r.topic as string,
    qos: r.qos as number,
    retain: r.retain === 1,
    client_id: (r.client_id as string | null) ?? null,
    principal: (r.principal as string | null) ?? null,
    msg_id: (r.msg_id as string | null) ?? null,
    trace_id: (r.trace_id as string | null) ?? null,
    correlation_id: (r.correlation_id as string | null) ?? null,
    session_id: (r.session_id as string | null) ?? null,
    source: (r.source as string | null) ?? null,
    size: r.size as number,
    truncated: r.truncated === 1,
  };
  if (r.payload !== undefined) m.payload = r.payload as Buffer;
  return m;
}

/**
 * The recorder's SQLite layer: batched inserts, chunked retention and the indexed reads behind
 * every query. Synchronous (better-sqlite3); the Recorder decides when it runs.
 */
export class RecorderStore {
  /** INSERT of k rows in one statement, by k (1..ROWS_PER_INSERT), prepared on first use */
  private readonly insertMsgs = new Map<number, Statement>();
  private readonly insertTopic: Statement;
  private readonly addTopicCounts: Statement;
  private readonly upsertRef: Statement;
  private readonly selectRef: Statement;
  private readonly upsertSession: Statement;
  /** topic -> topics.ref and trace/session id -> refs.ref, for every string the tables hold that was seen lately */
  private readonly topicRefs = new Map<string, number>();
  /** parameters of the rows waiting for the next multi-row INSERT */
  private readonly args: unknown[] = new Array<unknown>(ROWS_PER_INSERT * INSERT_WIDTH).fill(null);
  private readonly keyRefs = new Map<string, number>();
  private pageSize: number;
  private readonly pageStmts = new Map<string, Statement>();
  private readonly txInsert: (rows: readonly PendingRow[]) => { lastId: number; lastTime: number; truncated: number };
  private rowCount: number;

  constructor(
    readonly db: Db,
    private readonly maxPayloadBytes: number,
  ) {
    this.insertTopic = db.prepare(
      `INSERT INTO topics (topic, n, bytes, last_time) VALUES (?, 0, 0, 0) ON CONFLICT(topic) DO UPDATE SET n = n RETURNING ref`,
    );
    this.addTopicCounts = db.prepare('UPDATE topics SET n = n + ?, bytes = bytes + ?, last_time = max(last_time, ?) WHERE ref = ?');
    this.selectRef = db.prepare('SELECT ref FROM refs WHERE key = ?').pluck();
    // One statement for a new id and a known one (a known one after a restart, when the cache is empty).
    this.upsertRef = db.prepare('INSERT INTO refs (key) VALUES (?) ON CONFLICT(key) DO UPDATE SET key = key RETURNING ref');
    // A command and its result fill different columns of one row, in whichever order they arrive.
    this.upsertSession = db.prepare(
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
    this.rowCount = (db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
    this.pageSize = db.pragma('page_size', { simple: true }) as number;
  }

  /** The INSERT for k rows at once: one statement step per ROWS_PER_INSERT rows instead of one per row. */
  private insertMsg(k: number): Statement {
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
    return this.topicRefs.get(topic) ?? remember(this.topicRefs, topic, (this.insertTopic.get(topic) as { ref: number }).ref);
  }

  /** refs.ref of a trace or session id, created on first sight (inside the insert transaction). */
  private keyRef(key: string): number {
    return this.keyRefs.get(key) ?? remember(this.keyRefs, key, (this.upsertRef.get(key) as { ref: number }).ref);
  }

  /** The stored ref of a topic / id for a query, without creating one (null: nothing has it). */
  private findTopicRef(topic: string): number | null {
    return (
      this.topicRefs.get(topic) ?? (this.cached('SELECT ref FROM topics WHERE topic = ?').pluck().get(topic) as number | undefined) ?? null
    );
  }

  private findKeyRef(key: string): number | null {
    return this.keyRefs.get(key) ?? (this.selectRef.get(key) as number | undefined) ?? null;
  }

  /** Prepared once per distinct SQL text (all texts come from fixed fragments in this file). */
  private cached(sql: string): Statement {
    let stmt = this.pageStmts.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.pageStmts.set(sql, stmt);
    }
    return stmt;
  }

  get rows(): number {
    return this.rowCount;
  }

  /** Insert a batch in one transaction. Returns the rowid and time of its last row. */
  insertBatch(rows: readonly PendingRow[]): { lastId: number; lastTime: number; truncated: number } {
    try {
      return this.txInsert(rows);
    } catch (e) {
      // Rolled back (disk full, I/O error): topics and refs created in it are gone, and a later
      // one could get the same ref number, so forget every cached ref.
      this.topicRefs.clear();
      this.keyRefs.clear();
      throw e;
    } finally {
      this.args.fill(null); // do not hold on to the last payloads
    }
  }

  private insertRows(rows: readonly PendingRow[]): { lastId: number; lastTime: number; truncated: number } {
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
    this.rowCount += rows.length;
    return { lastId, lastTime, truncated };
  }

  /** Bytes in use by live pages, the whole main file, and the page size. */
  pages(): { used: number; file: number; free: number; pageSize: number } {
    const pageSize = this.pageSize;
    const count = this.db.pragma('page_count', { simple: true }) as number;
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    return { used: (count - free) * pageSize, file: count * pageSize, free, pageSize };
  }

  /**
   * One small retention step: delete at most maxChunk of the oldest rows (by arrival) that break
   * a limit, then give back at most vacuumPages free pages when the file is above its budget.
   * Small steps, called after every flush, keep each pause short (a few ms) while still deleting
   * faster than any sustained ingest the broker can deliver.
   */
  retentionStep(
    limits: RetentionLimits,
    mainBudget: number,
    now: number,
    maxChunk: number,
    vacuumPages: number,
  ): { deleted: number; vacuumed: number } {
    let upTo = 0;
    if (this.rowCount > limits.maxRows) upTo = Math.max(upTo, this.nthOldestId(Math.min(this.rowCount - limits.maxRows, maxChunk)));
    const cutoff = now - limits.maxAgeMs;
    // Most steps find nothing old: one row read decides that, before reading a chunk.
    const oldest = this.oldestTime();
    if (oldest !== null && oldest < cutoff) {
      const aged = this.cached('SELECT max(id) AS id FROM (SELECT id, time FROM messages ORDER BY id LIMIT ?) WHERE time < ?').get(
        maxChunk,
        cutoff,
      ) as { id: number | null };
      if (aged.id !== null) upTo = Math.max(upTo, aged.id);
    }
    const p = this.pages();
    if (p.used > mainBudget && this.rowCount > 0) {
      // Estimate rows to free from the average row footprint; at least a few pages' worth so
      // partially emptied index pages do not make us crawl.
      const avg = Math.max(1, p.used / this.rowCount);
      const want = Math.ceil((p.used - mainBudget) / avg) + Math.ceil((8 * p.pageSize) / avg);
      upTo = Math.max(upTo, this.nthOldestId(Math.min(Math.max(want, 1), maxChunk)));
    }
    let deleted = 0;
    if (upTo > 0) deleted = this.deleteUpTo(upTo);
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
    const r = this.cached('SELECT id FROM messages ORDER BY id LIMIT 1 OFFSET ?').get(n - 1) as { id: number } | undefined;
    return r?.id ?? (this.cached('SELECT max(id) AS id FROM messages').get() as { id: number | null }).id ?? 0;
  }

  private deleteUpTo(upTo: number): number {
    const tx = this.db.transaction((maxId: number) => {
      // "+topic_ref": read the rowid range being deleted; grouping on the bare column made the
      // planner walk the whole (topic_ref, time) index instead (32 ms at 200k rows, growing with the table).
      const per = this.cached('SELECT topic_ref, count(*) AS n, sum(size) AS bytes FROM messages WHERE id <= ? GROUP BY +topic_ref').all(
        maxId,
      ) as { topic_ref: number; n: number; bytes: number }[];
      const dec = this.cached('UPDATE topics SET n = n - ?, bytes = bytes - ? WHERE ref = ?');
      for (const t of per) dec.run(t.n, t.bytes, t.topic_ref);
      const changes = this.cached('DELETE FROM messages WHERE id <= ?').run(maxId).changes;
      // A topic with no rows left goes, and so does every trace/session id below the lowest ref a
      // kept row still uses (refs are handed out in first-seen order). The caches forget them too.
      for (const r of this.cached('DELETE FROM topics WHERE n <= 0 RETURNING topic').all() as { topic: string }[])
        this.topicRefs.delete(r.topic);
      const low = this.cached(
        `SELECT min(coalesce((SELECT min(trace_ref) FROM messages WHERE trace_ref IS NOT NULL), 9e18),
                    coalesce((SELECT min(session_ref) FROM messages WHERE session_ref IS NOT NULL), 9e18)) AS low`,
      ).get() as { low: number };
      for (const r of this.cached('DELETE FROM refs WHERE ref < ? RETURNING key').all(low.low) as { key: string }[])
        this.keyRefs.delete(r.key);
      // Voice summaries go with the oldest message still kept.
      const oldest = this.cached('SELECT time FROM messages ORDER BY id LIMIT 1').get() as { time: number } | undefined;
      if (oldest) this.cached('DELETE FROM voice_sessions WHERE sort_time < ?').run(oldest.time);
      else this.cached('DELETE FROM voice_sessions').run();
      return changes;
    });
    const n = tx(upTo);
    this.rowCount -= n;
    return n;
  }

  /**
   * One page of messages in (time, id) order after a keyset cursor. Wildcard filters are resolved
   * against the known topics first: a few matching topics are read from the (topic, time) index
   * and merged; many are read in time order with the exact MQTT check in JS, bounded by maxScan
   * (the cursor then points at the last row read, so the next page carries on from there).
   */
  page(q: PageQuery, maxScan = 20_000): PageResult {
    const f = q.filter;
    if (f && !f.exact && !q.traceId && !q.sessionId && f.filter !== '#') {
      const topics = this.topicsMatching(f, MAX_MERGE_TOPICS + 1);
      if (topics.length <= MAX_MERGE_TOPICS) return this.mergePage(q, topics);
    }
    const out: StoredMessage[] = [];
    let after = q.after;
    let scanned = 0;
    for (;;) {
      const chunk = f && !f.exact ? Math.min(2000, Math.max(q.limit * 2, 200)) : q.limit - out.length;
      const rows = this.rawPage({ ...q, after, limit: chunk });
      scanned += rows.length;
      for (const r of rows) {
        if (!f || filterAccepts(f, r.topic)) out.push(r);
        if (out.length === q.limit) return { messages: out, next: { time: r.time, id: r.id }, scanned };
      }
      if (rows.length < chunk) return { messages: out, next: null, scanned };
      const last = rows[rows.length - 1]!;
      after = { time: last.time, id: last.id };
      if (scanned >= maxScan) return { messages: out, next: after, scanned };
    }
  }

  /** Known topics matching a filter (from the topics table), at most `max`. */
  topicsMatching(f: CompiledFilter, max: number): string[] {
    const out: string[] = [];
    const rows =
      f.kind === 'range'
        ? (this.cached('SELECT topic FROM topics WHERE (topic >= ? AND topic < ?) OR topic = ? ORDER BY topic').iterate(
            f.lo,
            f.hi,
            f.parent,
          ) as Iterable<{ topic: string }>)
        : f.kind === 'exact'
          ? [{ topic: f.topic }]
          : (this.cached('SELECT topic FROM topics ORDER BY topic').iterate() as Iterable<{ topic: string }>);
    for (const r of rows) {
      if (filterAccepts(f, r.topic)) {
        out.push(r.topic);
        if (out.length >= max) break;
      }
    }
    return out;
  }

  private mergePage(q: PageQuery, topics: string[]): PageResult {
    // Phase 1: (time, id) keys only, from the covering (topic, time) index, per topic.
    const keys: { time: number; id: number }[] = [];
    for (const topic of topics) {
      const rows = this.rawPage({ ...q, filter: { kind: 'exact', filter: topic, topic, exact: true }, payload: 'keys' });
      for (const r of rows) keys.push({ time: r.time, id: r.id });
    }
    const dir = q.order === 'asc' ? 1 : -1;
    keys.sort((a, b) => dir * (a.time - b.time || a.id - b.id));
    const chosen = keys.slice(0, q.limit);
    // Phase 2: the chosen rows, in order.
    const byId = this.cached(`SELECT ${COLS}${payloadCol(q.payload)} FROM ${FROM} WHERE m.id = @id`);
    const clip = typeof q.payload === 'number' ? { clip: q.payload } : {};
    const messages = chosen.map((k) => toMessage(byId.get({ id: k.id, ...clip }) as Record<string, unknown>));
    const last = chosen[chosen.length - 1];
    return { messages, next: keys.length > q.limit && last ? { time: last.time, id: last.id } : null, scanned: keys.length };
  }

  private rawPage(q: Omit<PageQuery, 'payload'> & { payload: PageQuery['payload'] | 'keys' }): StoredMessage[] {
    const where: string[] = [];
    const args: Record<string, unknown> = { limit: q.limit };
    const f = q.filter;
    // Topic, trace and session are looked up once; a string nothing was ever stored with matches no row.
    if (f?.kind === 'exact') {
      const ref = this.findTopicRef(f.topic);
      if (ref === null) return [];
      where.push('m.topic_ref = @topic');
      args.topic = ref;
    } else if (f?.kind === 'range') {
      // With the candidate rows read in time order, a topic range would make the planner pick
      // the topic index and sort every match; "+topic" keeps it on the time index (bounded scan).
      where.push(
        f.parent === null ? '(+t.topic >= @lo AND +t.topic < @hi)' : '((+t.topic >= @lo AND +t.topic < @hi) OR +t.topic = @parent)',
      );
      args.lo = f.lo;
      args.hi = f.hi;
      if (f.parent !== null) args.parent = f.parent;
    }
    if (q.traceId !== undefined) {
      const ref = this.findKeyRef(q.traceId);
      if (ref === null) return [];
      where.push('m.trace_ref = @trace');
      args.trace = ref;
    }
    if (q.sessionId !== undefined) {
      const ref = this.findKeyRef(q.sessionId);
      if (ref === null) return [];
      where.push('m.session_ref = @session');
      args.session = ref;
    }
    if (q.from !== undefined) {
      where.push('m.time >= @from');
      args.from = q.from;
    }
    if (q.to !== undefined) {
      where.push('m.time <= @to');
      args.to = q.to;
    }
    if (q.after) {
      where.push(q.order === 'asc' ? '(m.time, m.id) > (@ct, @cid)' : '(m.time, m.id) < (@ct, @cid)');
      args.ct = q.after.time;
      args.cid = q.after.id;
    }
    const keysOnly = q.payload === 'keys' && f?.kind === 'exact';
    const cols = keysOnly ? 'm.id AS id, m.time AS time' : `${COLS}${q.payload === 'keys' ? '' : payloadCol(q.payload)}`;
    if (typeof q.payload === 'number') args.clip = q.payload;
    const dir = q.order === 'asc' ? 'ASC' : 'DESC';
    // Keys of one topic come from its (topic_ref, time) index alone: no join needed.
    const from = keysOnly ? 'messages m' : FROM;
    const sql = `SELECT ${cols} FROM ${from}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY m.time ${dir}, m.id ${dir} LIMIT @limit`;
    // The SQL text is built only from the fixed fragments above, so the cache stays small.
    const rows = this.cached(sql).all(args) as Record<string, unknown>[];
    return q.payload === 'keys'
      ? rows.map((r) => ({ id: r.id, time: r.time, topic: (r.topic as string | undefined) ?? f?.filter }) as StoredMessage)
      : rows.map(toMessage);
  }

  /** Voice sessions, newest first, keyset-paged on (sort_time, key). */
  sessions(q: { from?: number; to?: number; limit: number; after?: { time: number; key: string } }): {
    sessions: VoiceSessionSummary[];
    next: { time: number; key: string } | null;
  } {
    const rows = this.cached(
      `SELECT * FROM voice_sessions
         WHERE sort_time >= @from AND sort_time <= @to AND (@ct IS NULL OR (sort_time, key) < (@ct, @ck))
         ORDER BY sort_time DESC, key DESC LIMIT @limit`,
    ).all({
      from: q.from ?? Number.MIN_SAFE_INTEGER,
      to: q.to ?? Number.MAX_SAFE_INTEGER,
      ct: q.after?.time ?? null,
      ck: q.after?.key ?? null,
      limit: q.limit + 1,
    }) as Record<string, unknown>[];
    const more = rows.length > q.limit;
    const sessions = rows.slice(0, q.limit).map(summaryFromRow);
    const last = sessions[sessions.length - 1];
    return { sessions, next: more && last ? { time: last.time, key: last.key } : null };
  }

  /** Message counts per topic (kept by inserts and retention), for topics matching a filter. */
  counts(
    f: CompiledFilter,
    limit: number,
  ): { topics: { topic: string; count: number; bytes: number; last_time: number }[]; truncated: boolean } {
    const rows = this.cached('SELECT topic, n, bytes, last_time FROM topics WHERE n > 0 ORDER BY topic').iterate() as Iterable<{
      topic: string;
      n: number;
      bytes: number;
      last_time: number;
    }>;
    const topics: { topic: string; count: number; bytes: number; last_time: number }[] = [];
    let truncated = false;
    for (const r of rows) {
      if (!filterAccepts(f, r.topic)) continue;
      if (topics.length === limit) {
        truncated = true;
        break;
      }
      topics.push({ topic: r.topic, count: r.n, bytes: r.bytes, last_time: r.last_time });
    }
    return { topics, truncated };
  }

  oldestTime(): number | null {
    const r = this.cached('SELECT time FROM messages ORDER BY id LIMIT 1').get() as { time: number } | undefined;
    return r?.time ?? null;
  }
}

function payloadCol(p: PageQuery['payload']): string {
  if (p === 'none') return '';
  if (p === 'full') return ', payload';
  return ', substr(payload, 1, @clip) AS payload';
}
