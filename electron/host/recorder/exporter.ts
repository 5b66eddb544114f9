import { finished } from 'node:stream/promises';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Writable } from 'node:stream';
import type { Cursor } from './cursor.js';
import { compileFilter } from './filter.js';
import { openFileSink, toNdjsonLine, writeAll } from './ndjson.js';
import type { RecorderStore } from './store.js';

/** What to export: a time range (optionally one topic filter) or everything of one trace. */
export interface ExportQuery {
  from?: number;
  to?: number;
  trace_id?: string;
  /** MQTT filter, default everything */
  topic?: string;
  /** start after this row (the cursor an earlier, cut answer gave) */
  after?: Cursor;
}

const PAGE = 1000;

/**
 * Stream matching messages, oldest first, as NDJSON lines. Reads page by page (keyset cursor)
 * and yields to the event loop between pages, so a large export never holds the broker's thread
 * or the database for long, and rows recorded meanwhile do not shift the pages.
 */
export async function* ndjsonLines(store: RecorderStore, q: ExportQuery): AsyncGenerator<string> {
  for await (const r of ndjsonRows(store, q)) yield r.line;
}

/** The same lines, each with the keyset position of its row (where a continuation starts). */
async function* ndjsonRows(store: RecorderStore, q: ExportQuery): AsyncGenerator<{ line: string; at: Cursor }> {
  const filter = q.topic !== undefined && q.topic !== '#' ? compileFilter(q.topic) : undefined;
  let after = q.after;
  for (;;) {
    const page = store.page({
      filter,
      traceId: q.trace_id,
      from: q.from,
      to: q.to,
      after,
      order: 'asc',
      limit: PAGE,
      payload: 'full',
    });
    for (const m of page.messages) yield { line: toNdjsonLine(m), at: { time: m.time, id: m.id } };
    if (!page.next) return;
    after = page.next;
    await yieldToLoop();
  }
}

/** Export to a file path or a writable stream. Resolves with the number of lines and bytes written. */
export async function exportNdjson(
  store: RecorderStore,
  q: ExportQuery,
  dest: string | Writable,
): Promise<{ lines: number; bytes: number }> {
  const out = typeof dest === 'string' ? openFileSink(dest) : dest;
  let lines = 0;
  let bytes = 0;
  try {
    for await (const line of ndjsonLines(store, q)) {
      lines++;
      bytes += Buffer.byteLength(line);
      await writeAll(out, [line]);
    }
  } finally {
    if (typeof dest === 'string') {
      out.end();
      await finished(out);
    }
  }
  return { lines, bytes };
}

/**
 * Bounded inline export (the window's download button): stops before maxBytes and says so, with
 * the position of the last line sent (`next`), so the window asks for the rest part by part. A
 * single line above maxBytes still goes out alone, or the export could never get past it.
 */
export async function exportInline(
  store: RecorderStore,
  q: ExportQuery,
  maxBytes: number,
): Promise<{ ndjson: string; lines: number; truncated: boolean; next: Cursor | null }> {
  const parts: string[] = [];
  let bytes = 0;
  let last: Cursor | null = null;
  for await (const { line, at } of ndjsonRows(store, q)) {
    const n = Buffer.byteLength(line);
    if (bytes + n > maxBytes && parts.length > 0) return { ndjson: parts.join(''), lines: parts.length, truncated: true, next: last };
    parts.push(line);
    bytes += n;
    last = at;
  }
  return { ndjson: parts.join(''), lines: parts.length, truncated: false, next: null };
}
