import { rms, toDbfs } from '../lib/audio/wav.js';
import type { TrimOptions } from './trimSilence.js';

/**
 * trimSilence() for audio that arrives in pieces: push() returns the part of the audio that is now
 * certain to be inside the trimmed utterance (so the decoder can start on it at once), finish() the
 * rest. Concatenated, the pieces are exactly trimSilence(all audio).samples, whatever the chunking,
 * so a streamed utterance is decoded on the same samples as the same audio sent whole.
 * Leading silence is held back up to the first active frame (then `padMs` of it is released);
 * silence after an active frame is held until another active frame arrives (released whole: it is
 * inside the utterance) or the audio ends (only `padEndMs` of it is released).
 * Keeps the whole audio (the caller's gates read it too); bounded by the caller's utterance limit.
 */
export class StreamTrim {
  private readonly frame: number;
  private readonly thresholdDbfs: number;
  private readonly pad: number;
  private readonly padEnd: number;
  private buf: Int16Array;
  private length = 0;
  /** frames [0, framed) have been classified */
  private framed = 0;
  private first = -1;
  private lastActiveEnd = -1;
  /** samples [0, released) are handed out or dropped as leading silence */
  private released = 0;
  private started = false;

  constructor(sampleRate: number, opts: TrimOptions = {}) {
    this.frame = Math.max(1, Math.round(((opts.frameMs ?? 20) * sampleRate) / 1000));
    this.thresholdDbfs = opts.thresholdDbfs ?? -40;
    this.pad = Math.max(0, Math.round(((opts.padMs ?? 150) * sampleRate) / 1000));
    this.padEnd = Math.max(0, Math.round(((opts.padEndMs ?? opts.padMs ?? 150) * sampleRate) / 1000));
    this.buf = new Int16Array(sampleRate * 4);
  }

  /** Everything pushed so far (a view, valid until the next push). */
  get audio(): Int16Array {
    return this.buf.subarray(0, this.length);
  }

  push(samples: Int16Array): Int16Array {
    this.append(samples);
    while (this.framed + this.frame <= this.length) this.classify(this.framed, this.framed + this.frame);
    return this.releaseTo(this.lastActiveEnd);
  }

  /** The audio ended: the trailing pad, or (no active frame at all) the whole audio, as trimSilence does. */
  finish(): Int16Array {
    if (this.framed < this.length) this.classify(this.framed, this.length);
    if (this.first < 0) return this.released === 0 ? this.audio.slice() : new Int16Array(0);
    return this.releaseTo(Math.min(this.length, this.lastActiveEnd + this.padEnd));
  }

  private classify(start: number, end: number): void {
    if (toDbfs(rms(this.buf, start, end)) >= this.thresholdDbfs) {
      if (this.first < 0) {
        this.first = start;
        this.released = Math.max(0, start - this.pad);
      }
      this.lastActiveEnd = end;
    }
    this.framed = end;
  }

  private releaseTo(end: number): Int16Array {
    if (this.first < 0 || end <= this.released) return new Int16Array(0);
    const out = this.buf.slice(this.released, end);
    this.released = end;
    this.started = true;
    return out;
  }

  /** true once some audio was released to the decoder */
  get speaking(): boolean {
    return this.started;
  }

  private append(samples: Int16Array): void {
    if (this.length + samples.length > this.buf.length) {
      const next = new Int16Array(Math.max(this.buf.length * 2, this.length + samples.length));
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
    }
    this.buf.set(samples, this.length);
    this.length += samples.length;
  }
}
