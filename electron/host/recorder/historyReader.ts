import type { Database as Db, Statement } from 'better-sqlite3';
import type { Cursor } from './cursor.js';
import { filterAccepts } from './filter.js';
import type { CompiledFilter } from './filter.js';
import type { RefCache } from './refCache.js';
import { summaryFromRow } from './voiceSessions.js';
import type { VoiceSessionSummary } from './voiceSessions.js';

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

export interface SessionQuery {
  from?: number;
  to?: number;
  limit: number;
  after?: { time: number; key: string };
}

export interface SessionPage {
  sessions: VoiceSessionSummary[];
  next: { time: number; key: string } | null;
}

export interface TopicCount {
  topic: string;
  count: number;
  bytes: number;
  last_time: number;
}

/** Named parameters of the page queries (the SQL names them; the user's text is only ever a value here). */
type PageArgs = Record<string, string | number>;

/** A message row as COLS (+ payload) select it: the flags are SQLite integers. */
type MessageRow = Omit<StoredMessage, 'retain' | 'truncated'> & { retain: number; truncated: number };

/** The row with its topic, trace and session text joined back; messages stay the outer loop (LEFT JOIN keeps the order). */
const FROM = `messages m LEFT JOIN topics t ON t.ref = m.topic_ref LEFT JOIN refs tr ON tr.ref = m.trace_ref LEFT JOIN refs sr ON sr.ref = m.session_ref`;
const COLS =
  'm.id AS id, m.time AS time, t.topic AS topic, m.qos AS qos, m.retain AS retain, m.client_id AS client_id, m.principal AS principal, m.msg_id AS msg_id, tr.key AS trace_id, m.correlation_id AS correlation_id, sr.key AS session_id, m.source AS source, m.size AS size, m.truncated AS truncated';
/** More matching topics than this and a wildcard query scans the time index instead of merging per-topic index ranges. */
const MAX_MERGE_TOPICS = 200;

function toMessage(r: MessageRow): StoredMessage {
  const m: StoredMessage = {
    id: r.id,
    time: r.time,
    topic: r.topic,
    qos: r.qos,
    retain: r.retain === 1,
    client_id: r.client_id ?? null,
    principal: r.principal ?? null,
    msg_id: r.msg_id ?? null,
    trace_id: r.trace_id ?? null,
    correlation_id: r.correlation_id ?? null,
    session_id: r.session_id ?? null,
    source: r.source ?? null,
    size: r.size,
    truncated: r.truncated === 1,
  };
  if (r.payload !== undefined) m.payload = r.payload;
  return m;
}

function payloadCol(p: PageQuery['payload']): string {
  if (p === 'none') return '';
  if (p === 'full') return ', payload';
  return ', substr(payload, 1, @clip) AS payload';
}

/**
 * The indexed reads behind every query: keyset-paged messages by topic filter, trace, session and
 * time range; voice sessions; per-topic counts.
 */
export class HistoryReader {
  private readonly findTopic: Statement<[string], number>;
  private readonly findKey: Statement<[string], number>;
  private readonly topicsInRange: Statement<[string, string, string | null], { topic: string }>;
  private readonly allTopics: Statement<[], { topic: string }>;
  private readonly topicCounts: Statement<[], { topic: string; n: number; bytes: number; last_time: number }>;
  private readonly sessionPage: Statement<
    [{ from: number; to: number; ct: number | null; ck: string | null; limit: number }],
    Record<string, unknown>
  >;
  /** page reads, prepared once per distinct SQL text (all texts come from fixed fragments in this file) */
  private readonly rowStmts = new Map<string, Statement<[PageArgs], MessageRow>>();
  private readonly keyStmts = new Map<string, Statement<[PageArgs], { id: number; time: number }>>();

  constructor(
    private readonly db: Db,
    private readonly refs: RefCache,
  ) {
    this.findTopic = db.prepare<[string], number>('SELECT ref FROM topics WHERE topic = ?').pluck();
    this.findKey = db.prepare<[string], number>('SELECT ref FROM refs WHERE key = ?').pluck();
    this.topicsInRange = db.prepare<[string, string, string | null], { topic: string }>(
      'SELECT topic FROM topics WHERE (topic >= ? AND topic < ?) OR topic = ? ORDER BY topic',
    );
    this.allTopics = db.prepare<[], { topic: string }>('SELECT topic FROM topics ORDER BY topic');
    this.topicCounts = db.prepare<[], { topic: string; n: number; bytes: number; last_time: number }>(
      'SELECT topic, n, bytes, last_time FROM topics WHERE n > 0 ORDER BY topic',
    );
    this.sessionPage = db.prepare<
      { from: number; to: number; ct: number | null; ck: string | null; limit: number },
      Record<string, unknown>
    >(
      `SELECT * FROM voice_sessions
         WHERE sort_time >= @from AND sort_time <= @to AND (@ct IS NULL OR (sort_time, key) < (@ct, @ck))
         ORDER BY sort_time DESC, key DESC LIMIT @limit`,
    );
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
        ? this.topicsInRange.iterate(f.lo, f.hi, f.parent)
        : f.kind === 'exact'
          ? [{ topic: f.topic }]
          : this.allTopics.iterate();
    for (const r of rows) {
      if (filterAccepts(f, r.topic)) {
        out.push(r.topic);
        if (out.length >= max) break;
      }
    }
    return out;
  }

  /** One message by row id (its primary key), payload cut at `clip` bytes. */
  message(id: number, clip: number): StoredMessage | null {
    const row = this.rowStatement(`SELECT ${COLS}${payloadCol(clip)} FROM ${FROM} WHERE m.id = @id`).get({ id, clip });
    return row ? toMessage(row) : null;
  }

  /** Voice sessions, newest first, keyset-paged on (sort_time, key). */
  sessions(q: SessionQuery): SessionPage {
    const rows = this.sessionPage.all({
      from: q.from ?? Number.MIN_SAFE_INTEGER,
      to: q.to ?? Number.MAX_SAFE_INTEGER,
      ct: q.after?.time ?? null,
      ck: q.after?.key ?? null,
      limit: q.limit + 1,
    });
    const more = rows.length > q.limit;
    const sessions = rows.slice(0, q.limit).map(summaryFromRow);
    const last = sessions[sessions.length - 1];
    return { sessions, next: more && last ? { time: last.time, key: last.key } : null };
  }

  /** Message counts per topic (kept by inserts and retention), for topics matching a filter. */
  counts(f: CompiledFilter, limit: number): { topics: TopicCount[]; truncated: boolean } {
    const topics: TopicCount[] = [];
    let truncated = false;
    for (const r of this.topicCounts.iterate()) {
      if (!filterAccepts(f, r.topic)) continue;
      if (topics.length === limit) {
        truncated = true;
        break;
      }
      topics.push({ topic: r.topic, count: r.n, bytes: r.bytes, last_time: r.last_time });
    }
    return { topics, truncated };
  }

  /** The stored ref of a topic / id for a query, without creating one (null: nothing has it). */
  private findTopicRef(topic: string): number | null {
    return this.refs.topics.get(topic) ?? this.findTopic.get(topic) ?? null;
  }

  private findKeyRef(key: string): number | null {
    return this.refs.keys.get(key) ?? this.findKey.get(key) ?? null;
  }

  private mergePage(q: PageQuery, topics: string[]): PageResult {
    // Phase 1: (time, id) keys only, from the covering (topic, time) index, per topic.
    const keys: { time: number; id: number }[] = [];
    for (const topic of topics) {
      for (const k of this.topicKeys({ ...q, filter: { kind: 'exact', filter: topic, topic, exact: true } })) keys.push(k);
    }
    const dir = q.order === 'asc' ? 1 : -1;
    keys.sort((a, b) => dir * (a.time - b.time || a.id - b.id));
    const chosen = keys.slice(0, q.limit);
    // Phase 2: the chosen rows, in order.
    const byId = this.rowStatement(`SELECT ${COLS}${payloadCol(q.payload)} FROM ${FROM} WHERE m.id = @id`);
    const clip = typeof q.payload === 'number' ? q.payload : null;
    const messages = chosen.map((k) => toMessage(byId.get(clip === null ? { id: k.id } : { id: k.id, clip })!));
    const last = chosen[chosen.length - 1];
    return { messages, next: keys.length > q.limit && last ? { time: last.time, id: last.id } : null, scanned: keys.length };
  }

  /** The (time, id) keys of one topic's page, from its (topic_ref, time) index alone: no join needed. */
  private topicKeys(q: PageQuery): { id: number; time: number }[] {
    const w = this.where(q);
    if (!w) return [];
    return this.keyStatement(this.select('m.id AS id, m.time AS time', 'messages m', w.clauses, q.order)).all(w.args);
  }

  private rawPage(q: PageQuery): StoredMessage[] {
    const w = this.where(q);
    if (!w) return [];
    if (typeof q.payload === 'number') w.args.clip = q.payload;
    return this.rowStatement(this.select(`${COLS}${payloadCol(q.payload)}`, FROM, w.clauses, q.order))
      .all(w.args)
      .map(toMessage);
  }

  private select(cols: string, from: string, where: string[], order: PageQuery['order']): string {
    const dir = order === 'asc' ? 'ASC' : 'DESC';
    return `SELECT ${cols} FROM ${from}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY m.time ${dir}, m.id ${dir} LIMIT @limit`;
  }

  /** The conditions of a page read and their values; null when a topic, trace or session nothing was stored with makes it empty. */
  private where(q: PageQuery): { clauses: string[]; args: PageArgs } | null {
    const where: string[] = [];
    const args: PageArgs = { limit: q.limit };
    const f = q.filter;
    // Topic, trace and session are looked up once; a string nothing was ever stored with matches no row.
    if (f?.kind === 'exact') {
      const ref = this.findTopicRef(f.topic);
      if (ref === null) return null;
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
      if (ref === null) return null;
      where.push('m.trace_ref = @trace');
      args.trace = ref;
    }
    if (q.sessionId !== undefined) {
      const ref = this.findKeyRef(q.sessionId);
      if (ref === null) return null;
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
    return { clauses: where, args };
  }

  // The SQL texts are built only from the fixed fragments above, so these caches stay small.
  private rowStatement(sql: string): Statement<[PageArgs], MessageRow> {
    let stmt = this.rowStmts.get(sql);
    if (!stmt) {
      stmt = this.db.prepare<PageArgs, MessageRow>(sql);
      this.rowStmts.set(sql, stmt);
    }
    return stmt;
  }

  private keyStatement(sql: string): Statement<[PageArgs], { id: number; time: number }> {
    let stmt = this.keyStmts.get(sql);
    if (!stmt) {
      stmt = this.db.prepare<PageArgs, { id: number; time: number }>(sql);
      this.keyStmts.set(sql, stmt);
    }
    return stmt;
  }
}
