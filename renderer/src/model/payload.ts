/**
 * How a payload is shown: JSON pretty-printed, plain text, hex for binary, and any base64 WAV inside
 * JSON (voice audio, TTS replies) offered as playable audio. Pure functions, unit-tested.
 */

const utf8 = new TextDecoder('utf-8', { fatal: true });

type PayloadKind = 'json' | 'text' | 'binary' | 'empty';

interface PayloadInfo {
  kind: PayloadKind;
  /** decoded text (utf-8) when it is text */
  text: string | null;
  /** parsed JSON value when kind is json */
  json: unknown;
}

export function describePayload(bytes: Uint8Array): PayloadInfo {
  if (bytes.byteLength === 0) return { kind: 'empty', text: '', json: undefined };
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { kind: 'binary', text: null, json: undefined };
  }
  const first = text.trimStart()[0];
  if (
    first === '{' ||
    first === '[' ||
    first === '"' ||
    /^-?\d/.test(text.trim()) ||
    text === 'true' ||
    text === 'false' ||
    text === 'null'
  ) {
    try {
      return { kind: 'json', text, json: JSON.parse(text) };
    } catch {
      /* plain text that happens to start like JSON */
    }
  }
  // control characters other than whitespace mean binary
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000e-\u001f]/.test(text)) return { kind: 'binary', text: null, json: undefined };
  return { kind: 'text', text, json: undefined };
}

/**
 * One line for the topic tree: the first `maxBytes` bytes as text with whitespace collapsed, or a
 * binary marker. No JSON.parse: the tree shows the text as it came, so parsing every visible row
 * on every frame (what describePayload would do) is wasted work under load.
 */
export function payloadPreview(bytes: Uint8Array, maxBytes = 200, maxChars = 120): string {
  if (bytes.byteLength === 0) return '';
  let cut = Math.min(bytes.byteLength, maxBytes);
  // back off to a UTF-8 character boundary so a cut multi-byte character does not read as binary
  if (cut < bytes.byteLength) while (cut > 0 && ((bytes[cut] as number) & 0xc0) === 0x80) cut--;
  let text: string;
  try {
    text = utf8.decode(cut < bytes.byteLength ? bytes.subarray(0, cut) : bytes);
  } catch {
    return `⟨${bytes.byteLength} bytes binary⟩`;
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000e-\u001f]/.test(text)) return `⟨${bytes.byteLength} bytes binary⟩`;
  return text.replace(/\s+/g, ' ').slice(0, maxChars);
}

/** Long strings (base64 audio) are shortened in the pretty view; the raw view shows everything. */
export function prettyJson(value: unknown, maxString = 240): string {
  return JSON.stringify(
    value,
    (_k, v: unknown) => (typeof v === 'string' && v.length > maxString ? `${v.slice(0, maxString)}… (${v.length} chars)` : v),
    2,
  );
}

/** Classic hex dump: offset, 16 bytes, ASCII. Bounded to `maxBytes` with a marker. */
export function hexDump(bytes: Uint8Array, maxBytes = 4096): string {
  const n = Math.min(bytes.byteLength, maxBytes);
  const lines: string[] = [];
  for (let off = 0; off < n; off += 16) {
    const row = bytes.subarray(off, Math.min(off + 16, n));
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${off.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  if (bytes.byteLength > n) lines.push(`… ${bytes.byteLength - n} more bytes not shown`);
  return lines.join('\n');
}

interface AudioField {
  /** JSON path of the field, e.g. "audio_data" */
  path: string;
  base64: string;
  /** bytes after decoding */
  bytes: number;
}

const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Base64 fields that decode to a RIFF/WAVE file: these get a player. */
export function findAudioFields(value: unknown, path = '', out: AudioField[] = [], depth = 0): AudioField[] {
  if (depth > 6 || value === null || typeof value !== 'object') return out;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const p = path ? `${path}.${k}` : k;
    if (typeof v === 'string' && v.length >= 64 && v.startsWith('UklGR') && B64.test(v.slice(0, 4096))) {
      out.push({ path: p, base64: v, bytes: Math.floor((v.length * 3) / 4) });
    } else if (typeof v === 'object') {
      findAudioFields(v, p, out, depth + 1);
    }
  }
  return out;
}

export function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function bytesToBase64(bytes: Uint8Array): string {
  let s = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) s += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(s);
}

/** Numeric leaves of a JSON value with their paths (for the per-topic chart). Bounded. */
export function numericFields(value: unknown, path = '', out: [string, number][] = [], depth = 0): [string, number][] {
  if (out.length >= 32 || depth > 5) return out;
  if (typeof value === 'number' && Number.isFinite(value)) {
    out.push([path || '(value)', value]);
  } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      // envelope timestamps are numbers but not data worth charting
      if (depth === 0 && (k === 'ts' || k === 'updated_at')) continue;
      numericFields(v, path ? `${path}.${k}` : k, out, depth + 1);
    }
  }
  return out;
}

/** Bytes for people: "512 B", "9.5 KB", "108 KB", "2.4 MB" (two or three significant digits). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  return `${(n / 1024 / 1024).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}
