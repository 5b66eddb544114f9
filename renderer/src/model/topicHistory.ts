import type { Sample } from './chartScale.js';
import { describePayload, numericFields } from './payload.js';
import type { RecordedMessage } from './recorded.js';
import type { HistoryEntry } from './topicIndex.js';

/**
 * A topic's history as the History and Chart tabs show it: what the window keeps in memory (its
 * last messages) merged with older pages from the recorder (all of it). Pure, unit-tested.
 */

export interface ShownEntry {
  /** stable across renders: "w<seq>" for the window's entries, "r<row>" for recorded ones */
  key: string;
  time: number;
  /** the bytes at hand (a recorded list entry carries a preview: see clipped) */
  payload: Uint8Array;
  /** the payload's size on the bus */
  size: number;
  qos: number;
  retain: boolean;
  origin: 'window' | 'recorder';
  /** the recorder's row id, for the whole payload */
  row: number | null;
  clipped: boolean;
  truncated: boolean;
}

export function windowEntry(e: HistoryEntry): ShownEntry {
  const n = e.payload.byteLength;
  return {
    key: `w${e.seq}`,
    time: e.time,
    payload: e.payload,
    size: n,
    qos: e.qos,
    retain: e.retain,
    origin: 'window',
    row: null,
    clipped: false,
    truncated: false,
  };
}

export function recordedEntry(m: RecordedMessage): ShownEntry {
  return {
    key: `r${m.row ?? `${m.time}-${m.size}`}`,
    time: m.time,
    payload: m.payload,
    size: m.size,
    qos: m.qos,
    retain: m.retain,
    origin: 'recorder',
    row: m.row,
    clipped: m.clipped,
    truncated: m.truncated,
  };
}

/**
 * How much earlier than the window the recorder may have stamped the same message: both clocks are
 * this machine's, and the broker records a message before it delivers it to the window.
 */
export const SAME_MESSAGE_MS = 5000;

function samePayload(a: Uint8Array, b: Uint8Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Is recorded `r` the message the window holds as `e`? Same size and bytes, recorded up to SAME_MESSAGE_MS before it arrived. */
export function isSameMessage(r: RecordedMessage, e: HistoryEntry): boolean {
  const dt = e.time - r.time;
  if (dt < -50 || dt > SAME_MESSAGE_MS || r.size !== e.payload.byteLength) return false;
  return samePayload(r.payload, e.payload, Math.min(r.payload.byteLength, e.payload.byteLength));
}

/** Recorded messages that are not among the window's own entries. */
export function notInWindow(recorded: readonly RecordedMessage[], live: readonly HistoryEntry[]): RecordedMessage[] {
  if (live.length === 0) return [...recorded];
  const oldest = (live[0] as HistoryEntry).time - SAME_MESSAGE_MS;
  return recorded.filter((r) => r.time < oldest || !live.some((e) => isSameMessage(r, e)));
}

/** The window's entries and the recorded ones it does not hold, newest first. */
export function mergedHistory(live: readonly HistoryEntry[], recorded: readonly RecordedMessage[]): ShownEntry[] {
  const out = [...live.map(windowEntry), ...notInWindow(recorded, live).map(recordedEntry)];
  return out.sort((a, b) => b.time - a.time);
}

/** Payloads above this are not parsed for charting (audio, images: no numbers worth a line). */
const MAX_CHART_PAYLOAD = 64 * 1024;

/** The numeric fields of a topic's messages as time series, oldest first, fields in first-seen order. */
export function numericSeries(entries: readonly { time: number; payload: Uint8Array }[]): Map<string, Sample[]> {
  const sorted = [...entries].sort((a, b) => a.time - b.time);
  const out = new Map<string, Sample[]>();
  for (const e of sorted) {
    if (e.payload.byteLength > MAX_CHART_PAYLOAD) continue;
    const info = describePayload(e.payload);
    if (info.kind !== 'json') continue;
    for (const [k, v] of numericFields(info.json)) {
      let arr = out.get(k);
      if (!arr) out.set(k, (arr = []));
      arr.push({ t: e.time, v });
    }
  }
  return out;
}
