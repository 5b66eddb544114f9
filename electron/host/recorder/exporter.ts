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
}

const PAGE = 1000;

/**
 * Stream matching messages, oldest first, as NDJSON lines. Reads page by page (keyset cursor)
 * and yields to the event loop between pages, so a large export never holds the broker's thread
 * or the database for long, and rows recorded meanwhile do not shift the pages.
 */
export async function* ndjsonLines(store: RecorderStore, q: ExportQuery): AsyncGenerator<string> {
  const filter = q.topic !== undefined && q.topic !== '#' ? compileFilter(q.topic) : undefined;
  let after: Cursor | undefined;
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
    for (const m of page.messages) yield toNdjsonLine(m);
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

/** Bounded inline export (the window's download button): stops before maxBytes and says so. */
export async function exportInline(
  store: RecorderStore,
  q: ExportQuery,
  maxBytes: number,
): Promise<{ ndjson: string; lines: number; truncated: boolean }> {
  const parts: string[] = [];
  let bytes = 0;
  let truncated = false;
  for await (const line of ndjsonLines(store, q)) {
    const n = Buffer.byteLength(line);
    if (bytes + n > maxBytes) {
      truncated = true;
      break;
    }
    parts.push(line);
    bytes += n;
  }
  return { ndjson: parts.join(''), lines: parts.length, truncated };
}
