import { describe, expect, it } from 'vitest';
import { AliciaError } from '../protocol/errors.js';
import { activity, decodeBase64Strict, downmix, durationMs, encodeWav, energyAbove, parseWav, resample, rms, toMono16k } from './wav.js';

function tone(freq: number, rate: number, seconds: number, amp = 0.5, channels = 1): Int16Array {
  const n = Math.round(rate * seconds);
  const out = new Int16Array(n * channels);
  for (let i = 0; i < n; i++) {
    const v = Math.round(Math.sin((2 * Math.PI * freq * i) / rate) * amp * 32767);
    for (let c = 0; c < channels; c++) out[i * channels + c] = v;
  }
  return out;
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AliciaError);
    return `${(e as AliciaError).code}: ${(e as AliciaError).message}`;
  }
  throw new Error('expected a throw');
}

describe('parseWav', () => {
  it('round-trips an encoded mono and stereo WAV', () => {
    const mono = tone(440, 16000, 0.1);
    const a = parseWav(encodeWav(mono, 16000), 'STT_BAD_AUDIO');
    expect(a).toMatchObject({ sampleRate: 16000, channels: 1 });
    expect(Array.from(a.samples)).toEqual(Array.from(mono));
    const st = tone(440, 44100, 0.05, 0.5, 2);
    const b = parseWav(encodeWav(st, 44100, 2), 'VOICE_BAD_AUDIO');
    expect(b).toMatchObject({ sampleRate: 44100, channels: 2 });
    expect(b.samples.length).toBe(st.length);
  });

  it('skips unknown chunks (LIST) and honours the RIFF pad byte after odd chunks', () => {
    const wav = encodeWav(tone(300, 8000, 0.05), 8000);
    const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([3, 0, 0, 0]), Buffer.from('abc'), Buffer.from([0])]);
    const out = Buffer.concat([wav.subarray(0, 36), list, wav.subarray(36)]);
    out.writeUInt32LE(out.length - 8, 4);
    expect(parseWav(out, 'STT_BAD_AUDIO').samples.length).toBe(400);
  });

  it('accepts WAVE_FORMAT_EXTENSIBLE with a PCM sub-format', () => {
    const pcm = tone(200, 16000, 0.01);
    const h = Buffer.alloc(68);
    h.write('RIFF', 0);
    h.writeUInt32LE(60 + pcm.length * 2, 4);
    h.write('WAVE', 8);
    h.write('fmt ', 12);
    h.writeUInt32LE(40, 16);
    h.writeUInt16LE(0xfffe, 20);
    h.writeUInt16LE(1, 22);
    h.writeUInt32LE(16000, 24);
    h.writeUInt32LE(32000, 28);
    h.writeUInt16LE(2, 32);
    h.writeUInt16LE(16, 34);
    h.writeUInt16LE(22, 36);
    h.writeUInt16LE(16, 38);
    h.writeUInt32LE(4, 40);
    h.writeUInt16LE(1, 44); // KSDATAFORMAT_SUBTYPE_PCM starts with 0x0001
    h.write('data', 60);
    h.writeUInt32LE(pcm.length * 2, 64);
    const wav = Buffer.concat([h, Buffer.from(pcm.buffer)]);
    expect(parseWav(wav, 'STT_BAD_AUDIO').samples.length).toBe(pcm.length);
  });

  it('accepts a streamed WAV whose sizes are 0xFFFFFFFF', () => {
    const wav = encodeWav(tone(300, 16000, 0.05), 16000);
    wav.writeUInt32LE(0xffffffff, 4);
    wav.writeUInt32LE(0xffffffff, 40);
    expect(parseWav(wav, 'STT_BAD_AUDIO').samples.length).toBe(800);
  });

  it('copies only when the data is misaligned in memory', () => {
    const wav = encodeWav(tone(300, 16000, 0.01), 16000);
    const shifted = Buffer.alloc(wav.length + 1);
    wav.copy(shifted, 1);
    const a = parseWav(shifted.subarray(1), 'STT_BAD_AUDIO');
    expect(a.samples[10]).toBe(parseWav(wav, 'STT_BAD_AUDIO').samples[10]);
  });

  const base = () => encodeWav(tone(300, 16000, 0.05), 16000);
  const hostile: Array<[string, () => Buffer, RegExp]> = [
    ['empty', () => Buffer.alloc(0), /at least 44/],
    ['not RIFF', () => Buffer.from('ID3\u0003 this is an mp3 file honest'), /missing RIFF/],
    [
      'RIFX',
      () => {
        const b = base();
        b.write('RIFX', 0);
        return b;
      },
      /big-endian/,
    ],
    [
      'not WAVE',
      () => {
        const b = base();
        b.write('AVI ', 8);
        return b;
      },
      /not WAVE/,
    ],
    [
      'RIFF size beyond file',
      () => {
        const b = base();
        b.writeUInt32LE(b.length * 4, 4);
        return b;
      },
      /truncated/,
    ],
    [
      'data size beyond file',
      () => {
        const b = base();
        b.writeUInt32LE(b.length, 40);
        return b;
      },
      /data chunk claims/,
    ],
    [
      'truncated file',
      () => {
        const b = base();
        return b.subarray(0, b.length - 100);
      },
      /truncated/,
    ],
    [
      'float format',
      () => {
        const b = base();
        b.writeUInt16LE(3, 20);
        b.writeUInt16LE(32, 34);
        return b;
      },
      /not PCM/,
    ],
    [
      '8-bit',
      () => {
        const b = base();
        b.writeUInt16LE(8, 34);
        return b;
      },
      /8-bit/,
    ],
    [
      '6 channels',
      () => {
        const b = base();
        b.writeUInt16LE(6, 22);
        return b;
      },
      /6 channels/,
    ],
    [
      '4 kHz',
      () => {
        const b = base();
        b.writeUInt32LE(4000, 24);
        return b;
      },
      /sample rate 4000/,
    ],
    [
      '96 kHz',
      () => {
        const b = base();
        b.writeUInt32LE(96000, 24);
        return b;
      },
      /sample rate 96000/,
    ],
    [
      'lying byte rate',
      () => {
        const b = base();
        b.writeUInt32LE(12345, 28);
        return b;
      },
      /byte rate/,
    ],
    [
      'lying block align',
      () => {
        const b = base();
        b.writeUInt16LE(4, 32);
        return b;
      },
      /block align/,
    ],
    [
      'odd data size',
      () => {
        const b = base();
        b.writeUInt32LE(b.readUInt32LE(40) - 1, 40);
        return b;
      },
      /whole number/,
    ],
    [
      'no data',
      () => {
        const b = base().subarray(0, 36);
        b.writeUInt32LE(28, 4);
        return b;
      },
      /no data chunk/,
    ],
    [
      'zero samples',
      () => {
        const b = base().subarray(0, 44);
        b.writeUInt32LE(36, 4);
        b.writeUInt32LE(0, 40);
        return b;
      },
      /no audio samples/,
    ],
    [
      'huge fmt chunk',
      () => {
        const b = base();
        b.writeUInt32LE(0x7fffffff, 16);
        return b;
      },
      /fmt chunk/,
    ],
    [
      'data before fmt',
      () => {
        const b = base();
        b.write('data', 12);
        return b;
      },
      /before fmt/,
    ],
  ];
  it.each(hostile)("rejects %s with the caller's code", (_name, make, msg) => {
    const s = code(() => parseWav(make(), 'VOICE_BAD_AUDIO'));
    expect(s).toMatch(/^VOICE_BAD_AUDIO: /);
    expect(s).toMatch(msg);
  });

  it('rejects audio longer than the limit', () => {
    expect(code(() => parseWav(base(), 'STT_BAD_AUDIO', { maxDurationMs: 10 }))).toMatch(/exceeds the 10 ms limit/);
  });
});

describe('decodeBase64Strict', () => {
  it('decodes valid base64 and rejects what Buffer.from would silently mangle', () => {
    expect(decodeBase64Strict(Buffer.from('hello!').toString('base64'), 'STT_BAD_AUDIO').toString()).toBe('hello!');
    expect(code(() => decodeBase64Strict('', 'STT_BAD_AUDIO'))).toMatch(/empty/);
    expect(code(() => decodeBase64Strict('aGVsbG8h!!!!', 'STT_BAD_AUDIO'))).toMatch(/not valid base64/);
    expect(code(() => decodeBase64Strict('aGVsbG8', 'STT_BAD_AUDIO'))).toMatch(/not valid base64/);
    expect(code(() => decodeBase64Strict('aGVs bG8h', 'STT_BAD_AUDIO'))).toMatch(/not valid base64/);
    expect(code(() => decodeBase64Strict('AAAAAAAA', 'STT_BAD_AUDIO', 3))).toMatch(/exceeds 3 bytes/);
  });
});

/** Goertzel power of one frequency, normalised per sample. */
function powerAt(x: Int16Array, freq: number, rate: number): number {
  const w = (2 * Math.PI * freq) / rate;
  const c = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < x.length; i++) {
    const s0 = x[i]! / 32768 + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return Math.sqrt(s1 * s1 + s2 * s2 - c * s1 * s2) / x.length;
}

describe('conversion to 16 kHz mono', () => {
  it('keeps a 1 kHz tone at the same level when resampling 8k, 44.1k and 48k to 16k', () => {
    for (const rate of [8000, 22050, 44100, 48000]) {
      const out = resample(tone(1000, rate, 0.5), rate, 16000);
      expect(out.length).toBe(Math.floor(0.5 * rate * (16000 / rate)));
      const mid = out.subarray(800, out.length - 800); // skip edge transients
      expect(rms(mid)).toBeCloseTo(0.5 / Math.SQRT2, 2);
      expect(powerAt(mid, 1000, 16000)).toBeGreaterThan(0.2);
    }
  });

  it('removes content above the new Nyquist instead of aliasing it (48k -> 16k, 11 kHz tone)', () => {
    // 11 kHz would alias to 5 kHz with naive decimation; the low-pass must suppress it by > 40 dB.
    const out = resample(tone(11000, 48000, 0.5), 48000, 16000);
    const mid = out.subarray(800, out.length - 800);
    expect(20 * Math.log10(rms(mid) / (0.5 / Math.SQRT2))).toBeLessThan(-40);
    const naive = tone(11000, 48000, 0.5).filter((_v, i) => i % 3 === 0);
    expect(rms(naive)).toBeGreaterThan(0.3); // proves the test would catch aliasing
  });

  it('downmixes stereo by averaging', () => {
    expect(Array.from(downmix(Int16Array.from([100, 300, -32768, -32768, 32767, -32768]), 2))).toEqual([200, -32768, 0]);
  });

  it('converts a 44.1 kHz stereo WAV end to end', () => {
    const wav = encodeWav(tone(500, 44100, 1, 0.3, 2), 44100, 2);
    const pcm = toMono16k(parseWav(wav, 'STT_BAD_AUDIO'));
    expect(pcm.length).toBe(16000);
    expect(durationMs(pcm.length, 16000)).toBe(1000);
  });
});

describe('activity', () => {
  it('tells silence, a tone and white noise apart', () => {
    const silence = new Int16Array(16000);
    expect(activity(silence, 16000)).toMatchObject({ activeFrames: 0, activeMs: 0 });
    const t = activity(tone(300, 16000, 1, 0.3), 16000);
    expect(t.activeMs).toBe(1000);
    expect(t.activeZcr).toBeLessThan(0.1);
    let seed = 1;
    const noise = new Int16Array(16000).map(() => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return (seed / 0x7fffffff - 0.5) * 16000;
    });
    expect(activity(noise, 16000).activeZcr).toBeGreaterThan(0.4);
  });
});

describe('energyAbove', () => {
  it('finds no high band in upsampled 8 kHz audio and plenty in wideband noise', () => {
    let seed = 7;
    const noise16k = new Int16Array(16000).map(() => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return (seed / 0x7fffffff - 0.5) * 16000;
    });
    expect(energyAbove(noise16k, 16000, 4500)).toBeGreaterThan(0.3);
    const noise8k = noise16k.subarray(0, 8000);
    expect(energyAbove(resample(noise8k, 8000, 16000), 16000, 4500)).toBeLessThan(0.01);
    expect(energyAbove(tone(1000, 16000, 0.5), 16000, 4500)).toBeLessThan(0.001);
    expect(energyAbove(tone(6000, 16000, 0.5), 16000, 4500)).toBeGreaterThan(0.9);
  });
});
