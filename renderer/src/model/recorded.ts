/**
 * Messages as the recorder answers them (`messages`, `trace`, `session`, `message` queries:
 * electron/host/recorder/queries.ts), turned into bytes the window can show. Pure, unit-tested.
 */

export interface RecordedMessage {
  /** the recorder's row id: what the `message` query takes to give the whole payload */
  row: number | null;
  /** broker time (ms) */
  time: number;
  topic: string;
  qos: number;
  retain: boolean;
  source: string | null;
  /** the payload as the broker carried it, in bytes */
  size: number;
  /** the bytes this answer carried (possibly fewer than `size`) */
  payload: Uint8Array;
  /** the answer carried only the first bytes (list previews, the 64 KiB inline limit): ask `message` for the rest */
  clipped: boolean;
  /** the recorder itself stored only the first bytes (its payload limit): nothing more exists */
  truncated: boolean;
}

const utf8 = new TextEncoder();

function base64Bytes(b64: string): Uint8Array | null {
  try {
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** One message of a recorder answer; null when it is unusable. */
export function recordedFrom(raw: unknown): RecordedMessage | null {
  const m = raw as Record<string, unknown> | null;
  if (!m || typeof m !== 'object' || typeof m.topic !== 'string') return null;
  let payload: Uint8Array | null = new Uint8Array(0);
  const p = m.payload;
  if (typeof p === 'string') {
    payload = m.payload_encoding === 'base64' || m.encoding === 'base64' ? base64Bytes(p) : utf8.encode(p);
  } else if (p && typeof p === 'object') {
    payload = utf8.encode(JSON.stringify(p));
  }
  if (!payload) return null;
  return {
    row: num(m.id),
    time: num(m.time) ?? 0,
    topic: m.topic,
    qos: num(m.qos) ?? 0,
    retain: m.retain === true,
    source: typeof m.source === 'string' ? m.source : null,
    size: num(m.size) ?? payload.byteLength,
    payload,
    clipped: m.payload_clipped === true,
    truncated: m.truncated === true,
  };
}

/** Every usable message of an answer's `messages` array, in the answer's order. */
export function recordedListFrom(raw: unknown): RecordedMessage[] {
  if (!Array.isArray(raw)) return [];
  const out: RecordedMessage[] = [];
  for (const m of raw) {
    const r = recordedFrom(m);
    if (r) out.push(r);
  }
  return out;
}
