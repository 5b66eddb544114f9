import type { z } from 'zod';
import { checkEnvelope, parseJson, summarizeIssues, issuesOf } from '../../../services/lib/protocol/envelope.js';
import { AliciaError, toErrorInfo } from '../../../services/lib/protocol/errors.js';
import type { ErrorInfo } from '../../../services/lib/protocol/errors.js';
import { peekEnvelope } from '../../../services/lib/protocol/decode.js';
import { recorderRequestSchema } from '../../../services/lib/protocol/system.js';
import { decodeCursor, decodeKeyCursor, encodeCursor, encodeKeyCursor } from './cursor.js';
import { exportInline } from './exporter.js';
import { compileFilter } from './filter.js';
import { encodePayload } from './ndjson.js';
import type { StoredMessage } from './historyReader.js';
import type { RecorderStore } from './store.js';

export type RecorderRequest = z.output<typeof recorderRequestSchema>;

export interface QueryBounds {
  /** total payload text a response may carry */
  maxResponseBytes: number;
  /** any one payload in a response is clipped to this (payload_clipped: true) */
  maxInlinePayload: number;
}

/** A message as the window receives it: payload as text or base64, ids flattened. */
export interface MessageOut extends Omit<StoredMessage, 'payload'> {
  payload?: string;
  payload_encoding?: 'utf8' | 'base64';
  /** the response shows only the first maxInlinePayload bytes */
  payload_clipped?: boolean;
}

/** Turn stored rows into response entries until the byte budget is used up. */
function pack(rows: StoredMessage[], bounds: QueryBounds): { messages: MessageOut[]; truncated: boolean } {
  const messages: MessageOut[] = [];
  let bytes = 0;
  for (const r of rows) {
    const { payload, ...rest } = r;
    const out: MessageOut = rest;
    let cost = 300; // the metadata fields
    if (payload) {
      const enc = encodePayload(payload);
      out.payload = enc.payload;
      out.payload_encoding = enc.encoding;
      // Clipped when the stored payload is longer than what the query read.
      if (payload.byteLength >= bounds.maxInlinePayload && r.size > bounds.maxInlinePayload) out.payload_clipped = true;
      cost += enc.payload.length;
    }
    if (bytes + cost > bounds.maxResponseBytes && messages.length > 0) return { messages, truncated: true };
    bytes += cost;
    messages.push(out);
  }
  return { messages, truncated: false };
}

/**
 * Answer one recorder request. Never throws: every failure is a coded error body. Returns the
 * body and the correlation/trace ids to reply with (from the request, when it had any).
 */
export async function answerRecorderRequest(
  store: RecorderStore,
  payload: Buffer,
  bounds: QueryBounds,
  statsOf: () => Record<string, unknown>,
): Promise<{ body: Record<string, unknown>; correlation_id?: string; trace_id?: string }> {
  const peek = peekEnvelope(payload);
  const ids = { correlation_id: peek.correlation_id ?? peek.id, trace_id: peek.trace_id };
  let query: string | undefined;
  try {
    const obj = parseJson(payload);
    checkEnvelope(obj);
    query = typeof obj.query === 'string' ? obj.query.slice(0, 32) : undefined;
    const parsed = recorderRequestSchema.safeParse(obj);
    if (!parsed.success) {
      throw new AliciaError('RECORDER_BAD_QUERY', `invalid recorder query: ${summarizeIssues(parsed.error)}`, {
        issues: issuesOf(parsed.error),
      });
    }
    const body = await run(store, parsed.data, bounds, statsOf);
    return { body: { ok: true, query: parsed.data.query, ...body }, ...ids };
  } catch (e) {
    const error: ErrorInfo = toErrorInfo(e);
    return { body: { ok: false, ...(query ? { query } : {}), error, request_topic: 'alicia/system/recorder/request' }, ...ids };
  }
}

async function run(
  store: RecorderStore,
  q: RecorderRequest,
  bounds: QueryBounds,
  statsOf: () => Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const range = (from?: number, to?: number) => {
    if (from !== undefined && to !== undefined && from > to) throw new AliciaError('RECORDER_BAD_QUERY', '`from` is after `to`');
  };
  switch (q.query) {
    case 'messages': {
      range(q.from, q.to);
      const filter = compileFilter(q.topic);
      const clip = Math.min(q.payload_bytes ?? bounds.maxInlinePayload, bounds.maxInlinePayload);
      const page = store.page({
        filter: q.topic === '#' ? compileFilter('#') : filter,
        from: q.from,
        to: q.to,
        after: q.cursor !== undefined ? decodeCursor(q.cursor) : undefined,
        order: q.order,
        limit: q.limit,
        payload: q.include_payload ? clip : 'none',
      });
      const packed = pack(page.messages, { ...bounds, maxInlinePayload: clip });
      const last = packed.messages[packed.messages.length - 1];
      // When the byte budget cut the page short, the next page starts after the last row sent.
      const next = packed.truncated && last ? { time: last.time, id: last.id } : page.next;
      return {
        topic: q.topic,
        messages: packed.messages,
        next_cursor: next ? encodeCursor(next) : null,
        truncated: packed.truncated,
        scanned: page.scanned,
      };
    }
    case 'trace':
    case 'session': {
      const trace = q.query === 'trace' ? (q.trace ?? q.trace_id) : '';
      const session = q.query === 'session' ? (q.session ?? q.session_id) : '';
      if (q.query === 'session' && session === undefined) throw new AliciaError('RECORDER_BAD_QUERY', 'a session query needs `session`');
      if (q.query === 'trace' && trace === undefined) throw new AliciaError('RECORDER_BAD_QUERY', 'a trace query needs `trace`');
      const key = q.query === 'trace' ? { traceId: trace } : { sessionId: session };
      const page = store.page({ ...key, order: 'asc', limit: q.limit + 1, payload: bounds.maxInlinePayload });
      if (page.messages.length === 0) {
        throw new AliciaError(
          'RECORDER_NOT_FOUND',
          q.query === 'trace' ? `no messages with trace_id ${trace}` : `no messages with session_id ${session}`,
        );
      }
      const more = page.messages.length > q.limit;
      const packed = pack(page.messages.slice(0, q.limit), bounds);
      return { ...(q.query === 'trace' ? { trace } : { session }), messages: packed.messages, truncated: more || packed.truncated };
    }
    case 'message': {
      // The whole stored payload, within the response limit (base64 grows 4/3; 4 KiB for the rest).
      const clip = Math.max(1, Math.floor(((bounds.maxResponseBytes - 4096) * 3) / 4));
      const m = store.message(q.row, clip);
      if (!m) throw new AliciaError('RECORDER_NOT_FOUND', `no stored message ${q.row} (retention may have deleted it)`);
      return { message: pack([m], { maxResponseBytes: Infinity, maxInlinePayload: clip }).messages[0] };
    }
    case 'sessions': {
      range(q.from, q.to);
      const page = store.sessions({
        from: q.from,
        to: q.to,
        limit: q.limit,
        after: q.cursor !== undefined ? decodeKeyCursor(q.cursor) : undefined,
      });
      return { sessions: page.sessions, next_cursor: page.next ? encodeKeyCursor(page.next.time, page.next.key) : null };
    }
    case 'counts': {
      const r = store.counts(compileFilter(q.topic), q.limit);
      return { topic: q.topic, topics: r.topics, truncated: r.truncated };
    }
    case 'export': {
      range(q.from, q.to);
      if (q.topic !== undefined) compileFilter(q.topic);
      const after = q.cursor !== undefined ? decodeCursor(q.cursor) : undefined;
      const r = await exportInline(store, { from: q.from, to: q.to, trace_id: q.trace, topic: q.topic, after }, bounds.maxResponseBytes);
      if (r.lines === 0 && q.trace !== undefined && !after)
        throw new AliciaError('RECORDER_NOT_FOUND', `no messages with trace_id ${q.trace}`);
      return {
        format: 'ndjson',
        ndjson: r.ndjson,
        lines: r.lines,
        truncated: r.truncated,
        next_cursor: r.next ? encodeCursor(r.next) : null,
      };
    }
    case 'stats':
      return { stats: statsOf() };
  }
}
