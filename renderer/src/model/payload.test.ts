import { describe, expect, it } from 'vitest';
import {
  base64ToBytes,
  bytesToBase64,
  describePayload,
  findAudioFields,
  formatBytes,
  hexDump,
  numericFields,
  payloadPreview,
  prettyJson,
} from './payload.js';
import { encodeWav } from './wav.js';

const enc = new TextEncoder();

describe('payload views', () => {
  it('recognises JSON, text, binary and empty payloads', () => {
    expect(describePayload(enc.encode('{"on":true}')).kind).toBe('json');
    expect(describePayload(enc.encode('42')).json).toBe(42);
    expect(describePayload(enc.encode('hello world')).kind).toBe('text');
    expect(describePayload(enc.encode('{not json')).kind).toBe('text');
    expect(describePayload(new Uint8Array([0xff, 0xfe, 0x00, 0x01])).kind).toBe('binary');
    expect(describePayload(new Uint8Array([0x41, 0x01, 0x02])).kind).toBe('binary');
    expect(describePayload(new Uint8Array(0)).kind).toBe('empty');
  });

  it('tree preview: one line of text as sent, binary marked, cut on a character boundary', () => {
    expect(payloadPreview(enc.encode('{\n  "on": true\n}'))).toBe('{ "on": true }');
    expect(payloadPreview(new Uint8Array([0x41, 0x01, 0x02]))).toBe('⟨3 bytes binary⟩');
    expect(payloadPreview(new Uint8Array(0))).toBe('');
    // 'é' is two bytes: a cut after 3 bytes of 'aéé' must not split the second one
    expect(payloadPreview(enc.encode('aéé'), 4)).toBe('aé');
    expect(payloadPreview(enc.encode('x'.repeat(500)), 200, 120)).toBe('x'.repeat(120));
  });

  it('hex dump shows offsets and ASCII and marks what it cut', () => {
    const d = hexDump(enc.encode('ABCDEFGHIJKLMNOPQ'), 16);
    expect(d.split('\n')[0]).toBe('00000000  41 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f 50  ABCDEFGHIJKLMNOP');
    expect(d).toContain('1 more bytes not shown');
  });

  it('finds base64 WAV fields (playable audio) and shortens them in the pretty view', () => {
    const wav = bytesToBase64(encodeWav(new Float32Array(800), 16000));
    const msg = { ok: true, audio_data: wav, nested: { x: 'not audio' } };
    const fields = findAudioFields(msg);
    expect(fields.map((f) => f.path)).toEqual(['audio_data']);
    expect(base64ToBytes(fields[0]!.base64).byteLength).toBe(44 + 1600);
    expect(prettyJson(msg, 20)).toContain(`(${wav.length} chars)`);
  });

  it('extracts numeric leaves for charts, skipping envelope timestamps', () => {
    expect(numericFields({ ts: 1, state: { brightness: 40, on: true }, in_per_s: 2.5 })).toEqual([
      ['state.brightness', 40],
      ['in_per_s', 2.5],
    ]);
    expect(numericFields(7)).toEqual([['(value)', 7]]);
  });

  it('gives sizes in units people read', () => {
    expect([512, 9728, 110_310, 2_516_582, 52_428_800].map(formatBytes)).toEqual(['512 B', '9.5 KB', '108 KB', '2.4 MB', '50 MB']);
  });
});
