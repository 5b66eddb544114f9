import { describe, expect, it } from 'vitest';
import { PcmChunker, pcmToBase64 } from './pcmChunker.js';

describe('PcmChunker', () => {
  it('cuts blocks of any length into whole chunks, keeping every sample in order, and flushes the rest', () => {
    const c = new PcmChunker(1600);
    const input = Float32Array.from({ length: 128 * 30 + 77 }, (_, i) => Math.sin(i / 7) * 0.5);
    const chunks: Int16Array[] = [];
    for (let at = 0; at < input.length; at += 128) chunks.push(...c.push(input.subarray(at, at + 128)));
    const rest = c.flush();
    expect(chunks.map((x) => x.length)).toEqual([1600, 1600]);
    expect(rest.length).toBe(input.length - 3200);
    const all = [...chunks.flatMap((x) => [...x]), ...rest];
    expect(all).toEqual([...input].map((s) => (s < 0 ? Math.round(s * 0x8000) : Math.round(s * 0x7fff)) | 0));
  });

  it('encodes little-endian 16-bit base64 the services decode', () => {
    expect(pcmToBase64(Int16Array.from([1, -2, 0x7fff]))).toBe(Buffer.from([1, 0, 0xfe, 0xff, 0xff, 0x7f]).toString('base64'));
  });
});
