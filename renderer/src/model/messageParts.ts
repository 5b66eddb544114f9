import { envelopeShape } from '../../../services/lib/protocol/envelope.js';
import { formatBytes } from './payload.js';

/**
 * A message as a person reads it: the envelope (id, ts, source, trace ids: the same on every
 * message, services/lib/protocol/envelope.ts) apart from the body (what this message says), and a
 * one-line summary of the body for lists. Pure, unit-tested.
 */

const ENVELOPE_KEYS = new Set(Object.keys(envelopeShape));
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The payload as text when it is valid UTF-8, else null. */
export function payloadText(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Split a parsed payload: envelope fields (only when it is a JSON object carrying at least `v` or
 * `id` and `ts`, i.e. an Alicia envelope; any other JSON is all body) and the body.
 */
export function splitEnvelope(value: unknown): { envelope: Record<string, unknown> | null; body: unknown } {
  if (!isObject(value) || !('v' in value || ('id' in value && 'ts' in value))) return { envelope: null, body: value };
  const envelope: Record<string, unknown> = {};
  const body: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (ENVELOPE_KEYS.has(k)) envelope[k] = v;
    else body[k] = v;
  }
  return { envelope, body };
}

/** Strings longer than this are shown by their size in a summary. */
const LONG_STRING = 120;

function compact(v: unknown, depth: number): unknown {
  if (typeof v === 'string') {
    if (v.length <= LONG_STRING) return v;
    return v.startsWith('UklGR') ? `⟨audio ${formatBytes(Math.floor((v.length * 3) / 4))}⟩` : `${v.slice(0, 60)}… (${v.length} chars)`;
  }
  if (depth > 4 || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v))
    return v.length > 20
      ? [...v.slice(0, 20).map((x) => compact(x, depth + 1)), `… ${v.length - 20} more`]
      : v.map((x) => compact(x, depth + 1));
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, compact(x, depth + 1)]));
}

/**
 * One line for a message list: the body of a JSON message as compact JSON without the envelope,
 * long strings (base64 audio) given by their size; other text as it is; binary by its size.
 */
export function messageSummary(bytes: Uint8Array, text = payloadText(bytes), maxChars = 300): string {
  if (text === null) return `⟨${formatBytes(bytes.byteLength)} binary⟩`;
  const t = text.trimStart();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      const { body } = splitEnvelope(JSON.parse(text));
      return (JSON.stringify(compact(body, 0)) ?? '').slice(0, maxChars);
    } catch {
      // cut JSON (a clipped preview) or text that starts like it: shown as text, see below
    }
  }
  return summaryOfText(text).slice(0, maxChars);
}

/** `"key":value,` of an envelope field with a string or number value, as seal() writes them (first, compact). */
const LEADING_ENVELOPE = new RegExp(
  `^\\{\\s*(?:"(?:${[...ENVELOPE_KEYS].join('|')})"\\s*:\\s*(?:"(?:[^"\\\\]|\\\\.)*"|-?\\d+(?:\\.\\d+)?)\\s*,\\s*)+`,
);
const LONG_LITERAL = new RegExp(`"((?:[^"\\\\]|\\\\.){${LONG_STRING}})(?:[^"\\\\]|\\\\.)*("|$)`, 'g');

/**
 * Text that did not parse (a JSON payload cut short): the leading envelope fields dropped and long
 * string literals shortened, so the list still shows what the message is about.
 */
function summaryOfText(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(LEADING_ENVELOPE, '{')
    .replace(LONG_LITERAL, (_m, head: string, end: string) => (head.startsWith('UklGR') ? '"⟨audio⟩"' : `"${head.slice(0, 60)}…${end}`));
}
