import { rms, toDbfs } from '../lib/audio/wav.js';

export interface TrimOptions {
  /** frames louder than this (dBFS) count as active; the same -40 dBFS as the engine's energy gate */
  thresholdDbfs?: number;
  /** analysis frame, ms */
  frameMs?: number;
  /** audio kept before the first and after the last active frame, ms */
  padMs?: number;
  /** audio kept after the last active frame, ms (default: padMs) */
  padEndMs?: number;
}

export interface TrimmedAudio {
  /** a view into the input (no copy) */
  samples: Int16Array;
  /** first kept sample of the input */
  start: number;
  /** one past the last kept sample */
  end: number;
  /**
   * the audio goes on for all of the silence kept after the speech (padEndMs past the last active
   * frame): audio that follows can change the result only if it is speech again
   */
  complete: boolean;
}

/**
 * Drop the silence before the first and after the last frame above the threshold, keeping `padMs`
 * on each side. The decoder's cost is linear in frames (every frame is scored against the acoustic
 * model and searched), and recorded commands carry 0.3-1 s of leading/trailing silence, so this is
 * the cheapest speed-up there is. The pad keeps the quiet onsets/offsets of fricatives and stops
 * ("s", "t", "f" run 10-20 dB below the vowels) and gives the decoder some silence to start and end
 * in (the grammar search enters and leaves through the silence model). Measured on the espeak-ng
 * corpus (services/stt/README.md): 150 ms loses no accuracy. Silence inside the utterance stays.
 * Audio with no active frame at all is returned whole (the caller's energy gate rejects it).
 */
export function trimSilence(samples: Int16Array, sampleRate: number, opts: TrimOptions = {}): TrimmedAudio {
  const frame = Math.max(1, Math.round(((opts.frameMs ?? 20) * sampleRate) / 1000));
  const threshold = opts.thresholdDbfs ?? -40;
  const pad = Math.max(0, Math.round(((opts.padMs ?? 150) * sampleRate) / 1000));
  const padEnd = Math.max(0, Math.round(((opts.padEndMs ?? opts.padMs ?? 150) * sampleRate) / 1000));
  let first = -1;
  let last = -1;
  for (let s = 0; s < samples.length; s += frame) {
    const e = Math.min(samples.length, s + frame);
    if (toDbfs(rms(samples, s, e)) >= threshold) {
      if (first < 0) first = s;
      last = e;
    }
  }
  if (first < 0) return { samples, start: 0, end: samples.length, complete: false };
  const start = Math.max(0, first - pad);
  const end = Math.min(samples.length, last + padEnd);
  return { samples: samples.subarray(start, end), start, end, complete: last + padEnd <= samples.length };
}
