import { rms, toDbfs, toMono16k } from '../lib/audio/wav.js';
import { AliciaError, toErrorInfo } from '../lib/protocol/errors.js';
import type { ErrorCode } from '../lib/protocol/errors.js';
import { Endpointer } from './endpointer.js';
import type { EndpointOptions } from './endpointer.js';
import type { SttRecognition, SttStream } from './sttEngine.js';
import { concatPcm } from '../lib/audio/pcm.js';

/** The audio format of a stream, fixed by its first chunk. */
export interface ChunkFormat {
  rate: number;
  channels: 1 | 2;
  width: 2;
}

export interface EndpointInfo {
  reason: 'final' | 'silence';
  speech_end_ms: number;
  endpoint_ms: number;
  tail_ms: number;
}

export type UtteranceOutcome =
  { ok: true; recognition: SttRecognition; endpoint: EndpointInfo; audioMs: number } | { ok: false; error: AliciaError };

export interface UtteranceOptions {
  /** false: only `final` ends it (push-to-talk held); silence and the no-speech limit do not */
  endpointing: boolean;
  endpoint: EndpointOptions;
  /** refuse a stream whose first frames are already speech (its start was cut off); not after a wake word */
  clipCheck: boolean;
  /** the stream's last chunk is older than this: STT_STREAM_TIMEOUT */
  timeoutMs: number;
}

/** What an utterance decodes with, acquired while its first chunks are already arriving. */
export interface UtteranceResources {
  /** a VAD frame decision (webrtcVad.ts) and the frame length it wants */
  isSpeech(frame: Int16Array): boolean;
  frameSamples: number;
  /** the recogniser's stream, open */
  stream: SttStream;
  /** give back what the resources hold besides the stream (the VAD, the live-stream count) */
  release(): void;
}

export interface UtteranceEvents {
  /** the utterance ended (final, silence, or an error): the client may stop sending */
  onEnd(reason: 'final' | 'silence' | 'error'): void;
  /** the outcome is known and every resource is released */
  onSettled(outcome: UtteranceOutcome): void;
}

/**
 * Silence after the detector's last speech frame before the recogniser starts on the audio so far:
 * the energy-based trim ends 60-120 ms before the detector does (measured), so the silence it keeps
 * after the speech is in. (A whole-utterance stream also starts by itself once its engine's trim is
 * complete, usually sooner: wholeStream.ts.)
 */
const SPECULATE_MS = 200;

/** The first frames that, all speech and loud, mean the start of the speech was lost. */
const CLIP_FRAMES = 2;

/**
 * One streamed utterance: each chunk is checked (format fixed by the first, `seq` without gaps),
 * converted to 16 kHz mono, handed to the recogniser's stream at once (decoded while the user
 * speaks) and to the endpointer, one chunk after another. It ends with `final`, with the silence the
 * endpointer waits for, or with a coded error (gap, format change, timeout, no speech, too long,
 * clipped start); every end frees the decoder. Late chunks after the end are ignored.
 */
export class Utterance {
  readonly startedAt = performance.now();
  private nextSeq: number;
  private res: UtteranceResources | null = null;
  private endpointer: Endpointer | null = null;
  private chain: Promise<void>;
  private state: 'open' | 'ending' | 'settled' = 'open';
  private timer: NodeJS.Timeout | null = null;
  private samples = 0;
  private clipDecided = false;
  /** the speech end the recogniser was last asked to start early for */
  private speculatedFor = -1;
  /** the stream's first samples, for the clipped-start check */
  private head: Int16Array = new Int16Array(0);

  constructor(
    readonly format: ChunkFormat,
    firstSeq: number,
    private readonly opts: UtteranceOptions,
    resources: Promise<UtteranceResources>,
    private readonly events: UtteranceEvents,
  ) {
    this.nextSeq = firstSeq;
    // chunks queue behind the resources (a decoder may take a moment to open), in order
    this.chain = resources.then(
      (r) => {
        this.res = r;
        this.endpointer = new Endpointer((f) => r.isSpeech(f), r.frameSamples, 16000, opts.endpoint);
        // opening a decoder blocks this thread for a moment: chunks waiting behind it are not late
        if (this.state === 'open') this.armTimer();
      },
      (e: unknown) => {
        if (this.state === 'open') {
          this.state = 'ending';
          this.clearTimer();
          this.events.onEnd('error');
        }
        this.settle({ ok: false, error: asSttError(e) });
      },
    );
    this.armTimer();
  }

  get open(): boolean {
    return this.state === 'open';
  }

  /** A chunk of the audio topic (`seq` checked) or of a listen stream after the wake word (seq already checked). */
  push(seq: number | null, format: ChunkFormat, pcm: Int16Array, final: boolean): void {
    if (this.state !== 'open') return;
    if (seq !== null) {
      if (seq !== this.nextSeq) {
        this.fail('STT_STREAM_GAP', `chunk ${seq} arrived where ${this.nextSeq} was due (missing or out of order)`);
        return;
      }
      this.nextSeq++;
    }
    if (format.rate !== this.format.rate || format.channels !== this.format.channels || format.width !== this.format.width) {
      this.fail(
        'STT_STREAM_FORMAT',
        `the stream changed format from ${this.format.rate} Hz x${this.format.channels} to ${format.rate} Hz x${format.channels}`,
      );
      return;
    }
    this.armTimer();
    const mono = toMono16k({ sampleRate: format.rate, channels: format.channels, samples: pcm });
    this.enqueue(async (res, endpointer) => {
      if (this.state !== 'open') return;
      this.samples += mono.length;
      if (this.head.length < CLIP_FRAMES * res.frameSamples) this.head = concatPcm([this.head, mono]);
      await res.stream.feed(mono);
      const d = endpointer.push(mono);
      // silence after speech: the recogniser may start on what it has (used only if nothing follows)
      if (d.kind === 'speech' && endpointer.silenceMs >= SPECULATE_MS && this.speculatedFor !== endpointer.speechEndMs) {
        this.speculatedFor = endpointer.speechEndMs;
        res.stream.speculate?.();
      }
      if (this.opts.clipCheck && this.clipped(res, endpointer)) {
        this.fail('STT_CLIPPED', 'the speech had already begun when the stream started: its beginning is missing, so it was not acted on');
        return;
      }
      if (final) return this.finish('final', res, endpointer);
      if (d.kind === 'end' && this.opts.endpointing) return this.finish('silence', res, endpointer);
      if (d.kind === 'too_long') this.fail('STT_TOO_LONG', `the utterance went on past ${this.opts.endpoint.maxMs} ms`);
      else if (d.kind === 'no_speech' && this.opts.endpointing)
        this.fail('STT_NO_SPEECH', `no speech was heard within ${this.opts.endpoint.noSpeechMs} ms`);
    });
  }

  /** Abort from outside (service stopping, a newer utterance of the same session). */
  abort(code: ErrorCode, message: string): void {
    this.fail(code, message);
  }

  /** Decided once, on the stream's first CLIP_FRAMES frames: all of them speech to the detector, and loud. */
  private clipped(res: UtteranceResources, endpointer: Endpointer): boolean {
    if (this.clipDecided) return false;
    const speech = endpointer.leadingSpeech(CLIP_FRAMES);
    if (speech === null) return false;
    this.clipDecided = true;
    const f = res.frameSamples;
    const head = this.head.subarray(0, CLIP_FRAMES * f);
    let loud = head.length === CLIP_FRAMES * f;
    for (let at = 0; loud && at < head.length; at += f) loud = toDbfs(rms(head, at, at + f)) >= -40;
    return speech && loud;
  }

  private async finish(reason: 'final' | 'silence', res: UtteranceResources, endpointer: Endpointer): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'ending';
    this.clearTimer();
    this.events.onEnd(reason);
    const t0 = performance.now();
    const atMs = endpointer.atMs;
    try {
      const recognition = await res.stream.finish();
      const speechEnd = endpointer.speechStarted ? endpointer.speechEndMs : atMs;
      this.settle({
        ok: true,
        recognition,
        audioMs: (this.samples / 16000) * 1000,
        endpoint: {
          reason,
          speech_end_ms: round1(speechEnd),
          endpoint_ms: reason === 'silence' ? round1(atMs - speechEnd) : 0,
          tail_ms: round1(performance.now() - t0),
        },
      });
    } catch (e) {
      this.settle({ ok: false, error: asSttError(e) });
    }
  }

  private fail(code: ErrorCode, message: string): void {
    if (this.state !== 'open') return;
    this.state = 'ending';
    this.clearTimer();
    this.events.onEnd('error');
    // the stream is freed after whatever is running on it (a decoder is single-user)
    const error = new AliciaError(code, message);
    this.chain = this.chain.then(() => {
      this.res?.stream.abort();
      this.settle({ ok: false, error });
    });
  }

  private settle(outcome: UtteranceOutcome): void {
    if (this.state === 'settled') return;
    this.state = 'settled';
    this.res?.release();
    this.events.onSettled(outcome);
  }

  private enqueue(fn: (res: UtteranceResources, endpointer: Endpointer) => Promise<void>): void {
    this.chain = this.chain
      .then(() => (this.res && this.endpointer && this.state !== 'settled' ? fn(this.res, this.endpointer) : undefined))
      .catch((e: unknown) => {
        // a recogniser failure mid-stream ends the utterance with its code
        if (this.state === 'open') {
          this.state = 'ending';
          this.events.onEnd('error');
        }
        this.clearTimer();
        try {
          this.res?.stream.abort();
        } catch {
          // already released by the failing call
        }
        this.settle({ ok: false, error: asSttError(e) });
      });
  }

  private armTimer(): void {
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = null;
      this.fail('STT_STREAM_TIMEOUT', `no audio for ${this.opts.timeoutMs} ms and no final chunk`);
    }, this.opts.timeoutMs);
    this.timer.unref?.();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

function asSttError(e: unknown): AliciaError {
  return e instanceof AliciaError ? e : new AliciaError('STT_ENGINE_FAILED', `recognition failed: ${toErrorInfo(e).message}`);
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
