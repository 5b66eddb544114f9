import { describe, expect, it } from 'vitest';
import { encodeWav, resample } from './wav.js';
import { Vad, rms } from './vad.js';

describe('wav + vad', () => {
  it('writes a 16-bit mono PCM RIFF header and clamps samples', () => {
    const w = encodeWav(new Float32Array([0, 1, -1, 2]), 16000);
    const v = new DataView(w.buffer);
    expect(new TextDecoder().decode(w.subarray(0, 4))).toBe('RIFF');
    expect(new TextDecoder().decode(w.subarray(8, 12))).toBe('WAVE');
    expect(v.getUint32(24, true)).toBe(16000);
    expect(v.getUint16(34, true)).toBe(16);
    expect(v.getUint32(40, true)).toBe(8);
    expect([v.getInt16(44, true), v.getInt16(46, true), v.getInt16(48, true), v.getInt16(50, true)]).toEqual([0, 32767, -32768, 32767]);
  });
  it('resamples 48 kHz to 16 kHz', () => {
    expect(resample(new Float32Array(4800), 48000, 16000).length).toBe(1600);
  });
  it('ends an utterance after speech then silence, gives up without speech', () => {
    const vad = new Vad({ threshold: 0.1, silenceMs: 300, maxMs: 5000, noSpeechMs: 1000 });
    expect(vad.push(0.0, 100)).toBe('listening');
    expect(vad.push(0.5, 100)).toBe('speech');
    expect(vad.push(0.0, 100)).toBe('speech');
    expect(vad.push(0.0, 100)).toBe('speech');
    expect(vad.push(0.0, 100)).toBe('end');
    const quiet = new Vad({ threshold: 0.1, silenceMs: 300, maxMs: 5000, noSpeechMs: 300 });
    quiet.push(0, 200);
    expect(quiet.push(0, 200)).toBe('no_speech');
    expect(rms(new Float32Array([1, -1]))).toBe(1);
  });
});
