import { AliciaError } from '../lib/protocol/errors.js';
import { TARGET_RATE, WAV_MAX_RATE, WAV_MIN_RATE, decodeBase64Strict, encodeWav, parseWav, toMono16k } from '../lib/audio/wav.js';
import type { PcmAudio } from '../lib/audio/wav.js';

export interface CommandFormat {
  container?: 'wav' | 'pcm';
  sample_rate?: number;
  channels?: number;
  bits?: number;
}

export interface SttAudio {
  /** base64 16 kHz mono 16-bit WAV */
  audio_data: string;
  format: { container: 'wav'; sample_rate: number; channels: 1; bits: 16 };
  audio_ms: number;
}

/**
 * Check a spoken command's audio before anyone spends time on it, and hand stt one format.
 * Accepted: base64 WAV, 16-bit PCM, 8-48 kHz, mono or stereo; or raw 16-bit PCM when the
 * command's `format` says container "pcm" with its rate and channels. Anything else is
 * VOICE_BAD_AUDIO here rather than a confusing stt error. The audio is converted to 16 kHz mono
 * (what pocketsphinx's en-us model expects) unless it already is, in which case it passes untouched.
 */
export function prepareCommandAudio(base64: string, format: CommandFormat | undefined, maxMs: number): SttAudio {
  const bytes = decodeBase64Strict(base64, 'VOICE_BAD_AUDIO');
  let pcm: PcmAudio;
  let alreadyWav = false;
  if (format?.container === 'pcm') {
    const rate = format.sample_rate;
    const channels = format.channels ?? 1;
    if (rate === undefined || rate < WAV_MIN_RATE || rate > WAV_MAX_RATE) {
      throw new AliciaError('VOICE_BAD_AUDIO', `raw PCM needs format.sample_rate between ${WAV_MIN_RATE} and ${WAV_MAX_RATE} Hz`);
    }
    if (channels !== 1 && channels !== 2) throw new AliciaError('VOICE_BAD_AUDIO', 'raw PCM must be mono or stereo');
    if (bytes.length === 0 || bytes.length % (2 * channels) !== 0) {
      throw new AliciaError(
        'VOICE_BAD_AUDIO',
        `raw PCM of ${bytes.length} bytes is not a whole number of 16-bit ${channels}-channel frames`,
      );
    }
    const aligned = bytes.byteOffset % 2 === 0 ? bytes : Buffer.from(bytes);
    pcm = { sampleRate: rate, channels, samples: new Int16Array(aligned.buffer, aligned.byteOffset, aligned.length / 2) };
  } else {
    pcm = parseWav(bytes, 'VOICE_BAD_AUDIO', { maxDurationMs: maxMs });
    alreadyWav = true;
  }
  const audio_ms = (pcm.samples.length / pcm.channels / pcm.sampleRate) * 1000;
  if (audio_ms > maxMs) throw new AliciaError('VOICE_BAD_AUDIO', `${Math.round(audio_ms)} ms of audio exceeds the ${maxMs} ms limit`);
  const format16k = { container: 'wav', sample_rate: TARGET_RATE, channels: 1, bits: 16 } as const;
  if (alreadyWav && pcm.sampleRate === TARGET_RATE && pcm.channels === 1) {
    return { audio_data: base64, format: format16k, audio_ms };
  }
  return { audio_data: encodeWav(toMono16k(pcm), TARGET_RATE, 1).toString('base64'), format: format16k, audio_ms };
}
