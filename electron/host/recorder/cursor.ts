import { AliciaError } from '../../../services/lib/protocol/errors.js';

/** Keyset paging position: the (time, id) of the last row a page covered. */
export interface Cursor {
  time: number;
  id: number;
}

/**
 * Cursors are opaque to clients (base64url of "time.id") so the format can change; paging by
 * (time, id) instead of OFFSET stays stable while new rows arrive and old ones are deleted.
 */
export function encodeCursor(c: Cursor): string {
  return Buffer.from(`${c.time}.${c.id}`, 'utf8').toString('base64url');
}

export function decodeCursor(s: string): Cursor {
  const text = Buffer.from(s, 'base64url').toString('utf8');
  const m = /^(-?\d{1,16})\.(\d{1,16})$/.exec(text);
  if (!m) throw new AliciaError('RECORDER_BAD_QUERY', 'invalid cursor');
  const time = Number(m[1]);
  const id = Number(m[2]);
  if (!Number.isSafeInteger(time) || !Number.isSafeInteger(id)) throw new AliciaError('RECORDER_BAD_QUERY', 'invalid cursor');
  return { time, id };
}

/** Cursor of the voice-session list: (sort_time, key). */
export function encodeKeyCursor(time: number, key: string): string {
  return Buffer.from(JSON.stringify([time, key]), 'utf8').toString('base64url');
}

export function decodeKeyCursor(s: string): { time: number; key: string } {
  try {
    const v: unknown = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string') {
      return { time: v[0] as number, key: v[1] };
    }
  } catch {
    // fall through to the coded error
  }
  throw new AliciaError('RECORDER_BAD_QUERY', 'invalid cursor');
}
