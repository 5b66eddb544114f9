import { describe, expect, it } from 'vitest';
import { encodeWav, parseWav } from '../lib/audio/wav.js';
import { prepareCommandAudio } from './commandAudio.js';

/** a 440 Hz tone, interleaved when stereo */
function tone(rate: number, seconds: number, channels: 1 | 2): Int16Array {
  const n = Math.round(rate * seconds);
  const out = new Int16Array(n * channels);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < channels; c++) out[i * channels + c] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate));
  return out;
}

describe('command audio', () => {
  it('converts a 44.1 kHz stereo WAV to 16 kHz mono of the same duration', () => {
    const wav = encodeWav(tone(44100, 1, 2), 44100, 2).toString('base64');
    const out = prepareCommandAudio(wav, undefined, 30_000);
    expect(out.format).toEqual({ container: 'wav', sample_rate: 16000, channels: 1, bits: 16 });
    expect(out.audio_ms).toBeCloseTo(1000, 0);
    const back = parseWav(Buffer.from(out.audio_data, 'base64'), 'INTERNAL');
    expect(back.sampleRate).toBe(16000);
    expect(back.channels).toBe(1);
    expect(Math.abs(back.samples.length - 16000)).toBeLessThan(2);
  });

  it('passes 16 kHz mono through untouched', () => {
    const wav = encodeWav(tone(16000, 0.5, 1), 16000, 1).toString('base64');
    expect(prepareCommandAudio(wav, undefined, 30_000).audio_data).toBe(wav);
  });

  it('accepts raw PCM only with its rate', () => {
    const pcm = Buffer.from(tone(8000, 0.5, 1).buffer).toString('base64');
    expect(prepareCommandAudio(pcm, { container: 'pcm', sample_rate: 8000, channels: 1 }, 30_000).audio_ms).toBeCloseTo(500, 0);
    expect(() => prepareCommandAudio(pcm, { container: 'pcm' }, 30_000)).toThrow(expect.objectContaining({ code: 'VOICE_BAD_AUDIO' }));
  });

  it('refuses what is not audio, and audio over the limit, with VOICE_BAD_AUDIO', () => {
    expect(() => prepareCommandAudio(Buffer.from('hello world, no RIFF here').toString('base64'), undefined, 30_000)).toThrow(
      expect.objectContaining({ code: 'VOICE_BAD_AUDIO' }),
    );
    expect(() => prepareCommandAudio('not base64!', undefined, 30_000)).toThrow(expect.objectContaining({ code: 'VOICE_BAD_AUDIO' }));
    const long = encodeWav(tone(8000, 2, 1), 8000, 1).toString('base64');
    expect(() => prepareCommandAudio(long, undefined, 1_000)).toThrow(expect.objectContaining({ code: 'VOICE_BAD_AUDIO' }));
  });
});
