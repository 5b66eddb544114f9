/**
 * Where a streamed utterance ends when the client does not say (no `final`): after `silenceMs` of
 * non-speech following speech, by a voice activity detector's frame decisions (webrtcVad.ts). Speech
 * counts as started after `onsetMs` of speech frames in a row (a click or a cough is shorter). Two
 * limits end it with an error instead: no speech within `noSpeechMs`, or still going at `maxMs`.
 * Pure and clocked by the audio itself (frames counted), so it decides the same on a loaded machine
 * and in a test that pushes a minute of audio in a millisecond.
 */
export interface EndpointOptions {
  silenceMs: number;
  maxMs: number;
  noSpeechMs: number;
  onsetMs: number;
}

export type EndpointDecision =
  | { kind: 'listening' }
  | { kind: 'speech' }
  /** speechEndMs: audio time of the end of the last speech frame; atMs: when the silence was long enough */
  | { kind: 'end'; speechEndMs: number; atMs: number }
  | { kind: 'no_speech'; atMs: number }
  | { kind: 'too_long'; atMs: number };

export class Endpointer {
  private readonly frameMs: number;
  private readonly pending: Int16Array;
  private pendingLength = 0;
  private frames = 0;
  private run = 0;
  private started = false;
  private lastSpeechEnd = 0;
  private decided: EndpointDecision | null = null;
  /** the detector's decisions on the first frames (see leadingSpeech) */
  private readonly leading: boolean[] = [];

  constructor(
    private readonly isSpeech: (frame: Int16Array) => boolean,
    private readonly frameSamples: number,
    sampleRate: number,
    private readonly opts: EndpointOptions,
  ) {
    this.frameMs = (frameSamples * 1000) / sampleRate;
    this.pending = new Int16Array(frameSamples);
  }

  /** Audio time processed so far, ms. */
  get atMs(): number {
    return this.frames * this.frameMs;
  }

  get speechStarted(): boolean {
    return this.started;
  }

  /** Non-speech since the last speech frame, ms (0 before speech). */
  get silenceMs(): number {
    return this.started ? this.atMs - this.lastSpeechEnd : 0;
  }

  /** Audio time of the end of the last speech frame (0 before speech). */
  get speechEndMs(): number {
    return this.lastSpeechEnd;
  }

  /** Whether the first `n` frames were all speech; null until n frames were seen (n <= 4). */
  leadingSpeech(n: number): boolean | null {
    return this.leading.length < n ? null : this.leading.slice(0, n).every(Boolean);
  }

  /** Feed the next audio; the first final decision (end, no_speech, too_long) sticks. */
  push(samples: Int16Array): EndpointDecision {
    let at = 0;
    while (!this.decided && at < samples.length) {
      const n = Math.min(this.frameSamples - this.pendingLength, samples.length - at);
      this.pending.set(samples.subarray(at, at + n), this.pendingLength);
      this.pendingLength += n;
      at += n;
      if (this.pendingLength === this.frameSamples) {
        this.pendingLength = 0;
        this.frame(this.isSpeech(this.pending));
      }
    }
    return this.decided ?? { kind: this.started ? 'speech' : 'listening' };
  }

  private frame(speech: boolean): void {
    this.frames++;
    if (this.leading.length < 4) this.leading.push(speech);
    const now = this.atMs;
    if (speech) {
      this.run++;
      if (!this.started && this.run * this.frameMs >= this.opts.onsetMs) this.started = true;
      if (this.started) this.lastSpeechEnd = now;
    } else {
      this.run = 0;
    }
    if (this.started && now - this.lastSpeechEnd >= this.opts.silenceMs) {
      this.decided = { kind: 'end', speechEndMs: this.lastSpeechEnd, atMs: now };
    } else if (!this.started && now >= this.opts.noSpeechMs) {
      this.decided = { kind: 'no_speech', atMs: now };
    } else if (now >= this.opts.maxMs) {
      this.decided = { kind: 'too_long', atMs: now };
    }
  }
}
