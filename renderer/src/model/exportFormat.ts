/**
 * The recorder's NDJSON export (one message a line: electron/host/recorder/ndjson.ts) written out
 * as the file a person asked for: NDJSON as it came, a JSON array, or CSV with the columns time,
 * topic, qos, retain, size, payload. Pure, unit-tested.
 */

export const EXPORT_FORMATS = ['ndjson', 'json', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportRecord {
  time: number;
  topic: string;
  qos: number;
  retain: boolean;
  /** the payload's size in bytes as the broker carried it */
  size: number;
  payload: string;
  encoding: 'utf8' | 'base64';
  /** the recorder stored only the first bytes */
  truncated: boolean;
}

const utf8 = new TextEncoder();

function base64Size(b64: string): number {
  const pad = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
  return Math.floor((b64.length * 3) / 4) - pad;
}

/** Parse NDJSON export lines; lines that are not export records are skipped. */
export function parseNdjson(text: string): ExportRecord[] {
  const out: ExportRecord[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (typeof o.topic !== 'string' || typeof o.payload !== 'string' || typeof o.time !== 'number') continue;
    const encoding = o.encoding === 'base64' ? 'base64' : 'utf8';
    const stored = encoding === 'base64' ? base64Size(o.payload) : utf8.encode(o.payload).byteLength;
    out.push({
      time: o.time,
      topic: o.topic,
      qos: typeof o.qos === 'number' ? o.qos : 0,
      retain: o.retain === true,
      size: typeof o.size === 'number' ? o.size : stored,
      payload: o.payload,
      encoding,
      truncated: o.truncated === true,
    });
  }
  return out;
}

/** A JSON array; a payload that is JSON is included as JSON, other text as a string, binary as base64. */
export function toJsonArray(records: readonly ExportRecord[]): string {
  const items = records.map((r) => {
    let payload: unknown = r.payload;
    if (r.encoding === 'utf8' && !r.truncated) {
      try {
        payload = JSON.parse(r.payload) as unknown;
      } catch {
        // text: kept as a string
      }
    }
    return {
      time: new Date(r.time).toISOString(),
      topic: r.topic,
      qos: r.qos,
      retain: r.retain,
      size: r.size,
      ...(r.encoding === 'base64' ? { encoding: 'base64' } : {}),
      ...(r.truncated ? { truncated: true } : {}),
      payload,
    };
  });
  return `${JSON.stringify(items, null, 2)}\n`;
}

/** RFC 4180: a field holding a comma, quote or line break is quoted, quotes doubled. */
function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** CSV: time (ISO 8601, UTC), topic, qos, retain, size, payload (binary as `base64:...`). */
export function toCsv(records: readonly ExportRecord[]): string {
  const lines = ['time,topic,qos,retain,size,payload'];
  for (const r of records) {
    const payload = r.encoding === 'base64' ? `base64:${r.payload}` : r.payload;
    lines.push([new Date(r.time).toISOString(), r.topic, String(r.qos), String(r.retain), String(r.size), payload].map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** The file for a format: its text, MIME type and file name extension. */
export function exportFile(ndjson: string, format: ExportFormat): { text: string; mime: string; ext: string } {
  if (format === 'ndjson') return { text: ndjson, mime: 'application/x-ndjson', ext: 'ndjson' };
  const records = parseNdjson(ndjson);
  if (format === 'json') return { text: toJsonArray(records), mime: 'application/json', ext: 'json' };
  return { text: toCsv(records), mime: 'text/csv', ext: 'csv' };
}

/** A file name from a topic or trace: path separators and other unsafe characters become '_'. */
export function safeFileName(base: string, ext: string, time = Date.now()): string {
  const d = new Date(time);
  const stamp = `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, '0')}${String(d.getDate()).padStart(2, '0')}-${String(d.getHours()).padStart(2, '0')}${String(d.getMinutes()).padStart(2, '0')}${String(d.getSeconds()).padStart(2, '0')}`;
  const name =
    base
      .replace(/[^A-Za-z0-9._-]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 80) || 'export';
  return `${name}-${stamp}.${ext}`;
}
