/**
 * End-of-utterance detection for click-to-start recording: energy (RMS) per block against a threshold,
 * speech must be heard first, then `silenceMs` of quiet ends the utterance; `maxMs` caps it, and
 * `noSpeechMs` gives up when nothing was said. Pure, fed block by block, unit-tested.
 */
interface VadOptions {
  threshold: number;
  silenceMs: number;
  maxMs: number;
  noSpeechMs: number;
}

export const DEFAULT_VAD: VadOptions = { threshold: 0.015, silenceMs: 900, maxMs: 10_000, noSpeechMs: 6_000 };

export type VadDecision = 'listening' | 'speech' | 'end' | 'no_speech' | 'max';

export function rms(block: Float32Array): number {
  let s = 0;
  for (let i = 0; i < block.length; i++) s += (block[i] as number) ** 2;
  return block.length ? Math.sqrt(s / block.length) : 0;
}

export class Vad {
  private elapsed = 0;
  private quietFor = 0;
  heard = false;
  constructor(private readonly opts: VadOptions = DEFAULT_VAD) {}

  /** Feed one block's level and its duration; returns what to do next. */
  push(level: number, blockMs: number): VadDecision {
    this.elapsed += blockMs;
    if (level >= this.opts.threshold) {
      this.heard = true;
      this.quietFor = 0;
    } else {
      this.quietFor += blockMs;
    }
    if (this.elapsed >= this.opts.maxMs) return 'max';
    if (!this.heard) return this.elapsed >= this.opts.noSpeechMs ? 'no_speech' : 'listening';
    return this.quietFor >= this.opts.silenceMs ? 'end' : 'speech';
  }
}
