import { isAliciaError } from '../../../services/lib/protocol/errors.js';
import type { BodyOf, MessageOf } from '../../../services/lib/protocol/topics.js';
import { request } from '../bus/connection.js';
import { recordedFrom } from '../model/recorded.js';
import type { RecordedMessage } from '../model/recorded.js';

type RecorderBody = BodyOf<'alicia/system/recorder/request'>;
type RecorderAnswer = MessageOf<'alicia/system/recorder/response'>;

/** An error as the views say it: "CODE: message". */
export const why = (e: unknown): string => (isAliciaError(e) ? `${e.code}: ${e.message}` : (e as Error).message);

/** One recorder query (electron/host/recorder/queries.ts). */
export function askRecorder(body: RecorderBody, what: string, timeoutMs = 10_000): Promise<RecorderAnswer> {
  return request('alicia/system/recorder/request', body, { timeoutMs, what });
}

/**
 * A paged query, page after page (`cursor` -> `next_cursor`) until the recorder has no more or
 * `maxPages` were read. Yields each answer.
 */
export async function* recorderPages(body: RecorderBody, what: string, maxPages: number): AsyncGenerator<RecorderAnswer> {
  let cursor: string | undefined;
  for (let i = 0; i < maxPages; i++) {
    const a = await askRecorder(cursor === undefined ? body : { ...body, cursor }, what);
    yield a;
    if (typeof a.next_cursor !== 'string') return;
    cursor = a.next_cursor;
  }
}

/** One stored message with its whole payload (as much as the recorder stored). */
export async function fetchMessage(row: number): Promise<RecordedMessage> {
  const a = await askRecorder({ query: 'message', row }, 'load message');
  const m = recordedFrom(a.message);
  if (!m) throw new Error('the recorder answered without the message');
  return m;
}
