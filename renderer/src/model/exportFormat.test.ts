import { describe, expect, it } from 'vitest';
import { exportFile, parseNdjson, safeFileName, toCsv } from './exportFormat.js';

const lines = [
  {
    time: Date.UTC(2026, 11, 4, 20, 1, 2, 345),
    topic: 'alicia/sensor/hall',
    payload: '{"t":21.5,"note":"a, \\"b\\""}',
    encoding: 'utf8',
    qos: 1,
    retain: true,
    client: 'c',
  },
  {
    time: Date.UTC(2026, 11, 4, 20, 1, 3),
    topic: 'raw/blob',
    payload: btoa('\u0000\u00ff\u0010'),
    encoding: 'base64',
    qos: 0,
    retain: false,
    client: null,
  },
  {
    time: Date.UTC(2026, 11, 4, 20, 1, 4),
    topic: 'alicia/voice/tts/result',
    payload: '{"v":"1.0","audio',
    encoding: 'utf8',
    qos: 1,
    retain: false,
    client: null,
    truncated: true,
    size: 300_000,
  },
];
const ndjson = lines.map((l) => JSON.stringify(l)).join('\n') + '\n';

describe('export formats', () => {
  it('reads export lines with the size each payload had on the bus', () => {
    const r = parseNdjson(`${ndjson}not a record\n{}\n`);
    expect(r.map((x) => [x.topic, x.size, x.encoding, x.truncated])).toEqual([
      ['alicia/sensor/hall', 28, 'utf8', false],
      ['raw/blob', 3, 'base64', false],
      ['alicia/voice/tts/result', 300_000, 'utf8', true],
    ]);
  });

  it('writes CSV with the asked columns, quoting what needs it (RFC 4180)', () => {
    const csv = toCsv(parseNdjson(ndjson));
    const rows = csv.split('\r\n');
    expect(rows[0]).toBe('time,topic,qos,retain,size,payload');
    expect(rows[1]).toBe('2026-12-04T20:01:02.345Z,alicia/sensor/hall,1,true,28,"{""t"":21.5,""note"":""a, \\""b\\""""}"');
    expect(rows[2]).toBe(`2026-12-04T20:01:03.000Z,raw/blob,0,false,3,base64:${btoa('\u0000\u00ff\u0010')}`);
    expect(rows).toHaveLength(5); // header, 3 records, the empty string after the last CRLF
  });

  it('writes a JSON array with JSON payloads as JSON, and NDJSON as it came', () => {
    const json = JSON.parse(exportFile(ndjson, 'json').text) as Record<string, unknown>[];
    expect(json[0]).toMatchObject({ time: '2026-12-04T20:01:02.345Z', topic: 'alicia/sensor/hall', payload: { t: 21.5, note: 'a, "b"' } });
    expect(json[1]).toMatchObject({ encoding: 'base64', size: 3 });
    expect(json[2]).toMatchObject({ truncated: true, payload: '{"v":"1.0","audio' });
    expect(exportFile(ndjson, 'ndjson').text).toBe(ndjson);
    expect(exportFile(ndjson, 'csv').mime).toBe('text/csv');
  });

  it('names files after the topic without path characters', () => {
    expect(safeFileName('alicia/device/status/+', 'csv', new Date(2026, 0, 2, 3, 4, 5).getTime())).toBe(
      'alicia_device_status-20260102-030405.csv',
    );
    expect(safeFileName('///', 'json', 0).startsWith('export-')).toBe(true);
  });
});
