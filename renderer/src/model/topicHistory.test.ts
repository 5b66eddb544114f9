import { describe, expect, it } from 'vitest';
import type { RecordedMessage } from './recorded.js';
import { mergedHistory, numericSeries } from './topicHistory.js';
import type { HistoryEntry } from './topicIndex.js';

const enc = new TextEncoder();
const live = (seq: number, time: number, text: string): HistoryEntry => ({ seq, time, payload: enc.encode(text), qos: 0, retain: false });
const rec = (row: number, time: number, text: string, clip = Infinity): RecordedMessage => {
  const payload = enc.encode(text);
  return {
    row,
    time,
    topic: 't',
    qos: 0,
    retain: false,
    source: null,
    size: payload.byteLength,
    payload: payload.subarray(0, clip),
    clipped: clip < payload.byteLength,
    truncated: false,
  };
};

describe('topic history', () => {
  it('puts recorded messages the window no longer keeps after its own, newest first, without repeating any', () => {
    const w = [live(7, 10_010, '{"t":21}'), live(8, 11_005, '{"t":22}')];
    const r = [
      rec(100, 11_000, '{"t":22}', 4), // the window's latest, recorded 5 ms before it arrived (a preview)
      rec(99, 10_002, '{"t":21}'), // the window's oldest
      rec(98, 9_000, '{"t":20}'),
      rec(97, 8_000, '{"t":19}'),
    ];
    const m = mergedHistory(w, r);
    expect(m.map((e) => e.key)).toEqual(['w8', 'w7', 'r98', 'r97']);
    expect(m[2]).toMatchObject({ origin: 'recorder', row: 98, size: 8 });
  });

  it('keeps a recorded message with the same bytes that is not the window copy (repeated value, long before)', () => {
    const w = [live(1, 100_000, '{"on":true}')];
    const r = [rec(5, 99_990, '{"on":true}'), rec(4, 50_000, '{"on":true}')];
    expect(mergedHistory(w, r).map((e) => e.key)).toEqual(['w1', 'r4']);
  });

  it('turns numeric fields into time series, oldest first, skipping what is not JSON', () => {
    const s = numericSeries([
      { time: 3, payload: enc.encode('{"t":23,"h":40}') },
      { time: 1, payload: enc.encode('{"t":21}') },
      { time: 2, payload: enc.encode('not json') },
    ]);
    expect([...s.keys()]).toEqual(['t', 'h']);
    expect(s.get('t')).toEqual([
      { t: 1, v: 21 },
      { t: 3, v: 23 },
    ]);
  });
});
