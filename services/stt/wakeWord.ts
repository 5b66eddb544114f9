import { existsSync } from 'node:fs';
import { pocketsphinxBundle } from '../lib/language/pocketsphinxBundle.js';
import { AliciaError } from '../lib/protocol/errors.js';
import type { Decoder, DecoderBackend } from './decoder.js';
import { wasmBackend } from './wasmDecoder.js';

/**
 * The wake word: pocketsphinx keyword spotting (the kws search, ps_set_keyphrase) on a stream of
 * 16 kHz mono audio, one decoder per listening site. The spotter compares the phrase's phones with
 * a free phone loop as the audio arrives and reports the phrase when its likelihood ratio passes
 * `threshold` (-kws_threshold: smaller wakes more readily, and falsely more often).
 *
 * Measured, not assumed (services/stt/wakeWord.test.ts, `npm run bench` -> docs/benchmarks.md):
 * DEFAULT_WAKE_THRESHOLD was chosen on the tuning voices of services/stt/testing/corpus.ts and is
 * reported on the test voices, with the false wakes over minutes of speech and noise without the phrase.
 *
 * The phrase must be words of the pronunciation dictionary ("alicia" is: AH L IH SH AH).
 *
 * Use: `const d = new WakeWordDetector({ phrase: 'alicia' }); await d.start();` then, for each chunk
 * of the stream, `const { woke, endMs } = await d.process(pcm16k)`; after a wake the audio from
 * `endMs` on is the command; `reset()` restarts the clock (a new stream, a gap); `await d.stop()`.
 */

export const DEFAULT_WAKE_PHRASE = 'alicia';
export const DEFAULT_WAKE_THRESHOLD = 1e-20;
/**
 * One utterance of the spotter grows with the audio (its history and feature buffers), so a long
 * stream is cut into utterances: at the first quiet chunk after RESTART_AFTER_MS, and at the latest
 * after MAX_UTTERANCE_MS (a phrase spoken across that cut can be missed: once a minute at most).
 */
const RESTART_AFTER_MS = 20_000;
const MAX_UTTERANCE_MS = 60_000;
/** a chunk whose RMS stays under this (dBFS) counts as quiet for the cut above */
const QUIET_DBFS = -45;
const SEARCH = 'wake';

export interface WakeWordOptions {
  /** the words to listen for (default "alicia") */
  phrase: string;
  /** -kws_threshold (default DEFAULT_WAKE_THRESHOLD) */
  threshold?: number;
  /** acoustic model dir and dictionary (default: the model that ships with the app) */
  hmm?: string;
  dict?: string;
  /** what runs the decoder (default: the WebAssembly build) */
  backend?: DecoderBackend;
}

export interface WakeResult {
  woke: boolean;
  /** where the phrase ended, in ms of audio since start() or the last reset() */
  endMs?: number;
}

export class WakeWordDetector {
  private readonly phrase: string;
  private readonly threshold: number;
  private readonly hmm: string | undefined;
  private readonly dict: string | undefined;
  private readonly backend: DecoderBackend;
  private decoder: Decoder | undefined;
  /** ms of audio fed since start()/reset(), and where the current utterance began on that clock */
  private fedMs = 0;
  private uttStartMs = 0;
  private restartPending = false;
  private clockResetPending = false;
  /** process() calls run one at a time, in order (the decoder is not re-entrant) */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(opts: WakeWordOptions) {
    this.phrase = opts.phrase.trim().toLowerCase().replace(/\s+/g, ' ');
    this.threshold = opts.threshold ?? DEFAULT_WAKE_THRESHOLD;
    this.hmm = opts.hmm;
    this.dict = opts.dict;
    this.backend = opts.backend ?? wasmBackend();
  }

  /** Load the model and start listening (~0.2 s); STT_ENGINE_MISSING / STT_ENGINE_FAILED as the engine. */
  async start(): Promise<void> {
    if (this.decoder) return;
    if (this.phrase === '') throw new AliciaError('STT_ENGINE_FAILED', 'the wake phrase is empty');
    const hmm = this.hmm ?? pocketsphinxBundle().hmm;
    const dict = this.dict ?? pocketsphinxBundle().dict;
    for (const [what, p] of [
      ['acoustic model', hmm],
      ['dictionary', dict],
    ] as const) {
      if (!existsSync(p)) throw new AliciaError('STT_ENGINE_MISSING', `pocketsphinx ${what} not found at ${p}`);
    }
    const d = await this.backend.open(['-hmm', hmm, '-dict', dict], SEARCH);
    try {
      await d.setKeyphrase(this.phrase, this.threshold);
      await d.startUtt();
    } catch (e) {
      await d.close();
      throw e;
    }
    this.decoder = d;
    this.fedMs = 0;
    this.uttStartMs = 0;
  }

  /** The next audio of the stream (any length); resolves once it is searched. */
  process(pcm16k: Int16Array): Promise<WakeResult> {
    const run = this.queue.then(() => this.search(pcm16k));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Forget the audio so far (e.g. after a wake, or a gap in the stream): the clock starts again at 0. */
  reset(): void {
    this.restartPending = true;
    this.clockResetPending = true;
  }

  /** Release the decoder once the audio already given is searched; can run twice. */
  async stop(): Promise<void> {
    await this.queue.catch(() => undefined);
    await this.decoder?.close();
    this.decoder = undefined;
  }

  private async search(pcm: Int16Array): Promise<WakeResult> {
    const d = this.decoder;
    if (!d) throw new AliciaError('STT_ENGINE_MISSING', 'the wake-word detector is not started');
    if (this.clockResetPending) {
      this.fedMs = 0;
      this.uttStartMs = 0;
      this.clockResetPending = false;
    }
    const uttMs = this.fedMs - this.uttStartMs;
    if (this.restartPending || uttMs >= MAX_UTTERANCE_MS || (uttMs >= RESTART_AFTER_MS && quiet(pcm))) await this.restart(d);
    await d.processRaw(pcm, false);
    this.fedMs += (pcm.length / 16000) * 1000;
    const { hyp } = await d.hyp();
    if (hyp === null || hyp.trim() === '') return { woke: false };
    const end = (await d.segments()).filter((s) => s.word.replace(/\(\d+\)$/, '') !== '<sil>').at(-1);
    // segment frames count from the start of the utterance (10 ms each, the end frame inclusive)
    const endMs = end ? Math.min(this.fedMs, this.uttStartMs + (end.endFrame + 1) * 10) : this.fedMs;
    // a new utterance, so the same phrase is not reported again
    await this.restart(d);
    return { woke: true, endMs: Math.round(endMs) };
  }

  private async restart(d: Decoder): Promise<void> {
    await d.endUtt();
    await d.startUtt();
    this.uttStartMs = this.fedMs;
    this.restartPending = false;
  }
}

function quiet(pcm: Int16Array): boolean {
  if (pcm.length === 0) return true;
  let sum = 0;
  for (const s of pcm) sum += s * s;
  const rms = Math.sqrt(sum / pcm.length) / 32768;
  return 20 * Math.log10(rms + 1e-12) < QUIET_DBFS;
}
