import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { activity, energyAbove } from '../lib/audio/wav.js';
import { AliciaError } from '../lib/protocol/errors.js';
import { PocketsphinxDecoder } from './pocketsphinxDecoder.js';
import type { DecodeResult } from './pocketsphinxDecoder.js';
import { loadPocketsphinx } from './pocketsphinxLib.js';
import type { GrammarKind, SttEngine, SttRecognition, SttStream } from './sttEngine.js';
import { ANSWER_SEARCH, PocketsphinxStream, StreamDecoderPool } from './pocketsphinxStream.js';
import { trimSilence } from './trimSilence.js';

/**
 * Offline recognition with pocketsphinx, one decoder kept alive for the life of the service
 * (ps_init ~175 ms measured on a 2-core machine), constrained by the JSGF grammar of the known commands.
 *
 * Rejection: silence, noise and out-of-grammar speech must come back "not understood", never as a command.
 * A grammar decoder always finds *some* sentence of the grammar, so its hypothesis alone is no
 * evidence. Three gates, cheapest first:
 *  1. energy: too little audio above the activity threshold -> silence, the decoder is not run;
 *  2. the grammar decode has no hypothesis (noise usually ends here: no path reaches a final state);
 *  3. likelihood ratio: the same audio is decoded by an unconstrained phone loop (allphone search,
 *     context-independent phones) on a second decoder, at the same time as the grammar (two cores:
 *     the latency is the slower of the two passes, not their sum). For speech the grammar explains, the
 *     grammar path scores about as well as or better than the free phone loop; for speech outside the
 *     grammar the forced path scores much worse. The per-frame difference
 *     margin = (score_grammar - score_phoneloop) / frames is thresholded. This is the classic
 *     garbage/filler-model verification (e.g. Rose & Paul 1990; Sukkar & Lee 1996, "Vocabulary
 *     independent discriminative utterance verification"). The threshold comes from measurements
 *     (services/stt/pocketsphinxEngine.test.ts prints them).
 * Both passes see the audio trimmed to the speech plus 150 ms on each side (trimSilence.ts): the
 * decoders' cost is linear in frames, and leading/trailing silence only dilutes the per-frame margin.
 */

export const DEFAULT_MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';

export interface PocketsphinxOptions {
  /** acoustic model dir (-hmm) */
  hmm?: string;
  /** pronunciation dictionary (-dict) */
  dict?: string;
  /** phone language model for the reference phone loop */
  phoneLm?: string;
  /** minimum speech above the activity threshold, ms (gate 1) */
  minSpeechMs?: number;
  /** activity threshold, dBFS */
  activityDbfs?: number;
  /** gate 3 threshold on the per-frame grammar-vs-phone-loop margin */
  minMargin?: number;
  /** added to minMargin for narrowband audio (see DEFAULT_NARROWBAND_PENALTY) */
  narrowbandPenalty?: number;
  /** score units added before the per-frame division (see DEFAULT_ENTRY_OFFSET) */
  entryOffset?: number;
  /** logistic scale mapping margin to confidence */
  marginScale?: number;
  /** extra decoder arguments for both decoders (e.g. ['-lw', '2']), appended last */
  extraArgs?: string[];
  /** decoder arguments of the grammar search (default GRAMMAR_BEAMS) */
  grammarArgs?: string[];
  /** decoder arguments of the phone loop (default PHONE_LOOP_BEAMS) */
  phoneArgs?: string[];
  /** silence kept around the speech (ms, default DEFAULT_TRIM_PAD_MS); null decodes the audio whole */
  trimPadMs?: number | null;
  /**
   * true (default): the grammar and the phone loop run at the same time on two worker threads.
   * false: one after the other, the phone loop only when the grammar found a sentence (less CPU on
   * noise, more latency on speech).
   */
  parallel?: boolean;
}

/**
 * Chosen from measurements (STT_MEASURE=1 npx vitest run services/stt/pocketsphinxEngine.test.ts
 * prints every score): 68 in-grammar espeak-ng utterances (34 commands x 2 voices) vs 12
 * out-of-grammar sentences, 16 kHz. The grammar pays a fixed cost once per utterance for choosing
 * among the templates and slot values (FSG transition probabilities x language weight), which a
 * per-frame margin charges mostly to short commands ("cancel", "play music"); adding it back before
 * dividing by the frame count widened the gap most at ~1000-1500 score units. With offset 1500:
 * in-grammar margins >= -4.1 (5th percentile -3.3), out-of-grammar <= -9.9; the threshold sits
 * in the middle of that gap, at -7. Re-measured on audio trimmed to the speech + 150 ms
 * (trimSilence.ts, now the default): in-grammar >= -5.0 (5th percentile -3.8), out-of-grammar
 * <= -12.1, so the gap widened from ~6 to ~7 units and -7 stays (nearer the commands: a doubtful
 * utterance is rejected rather than obeyed). 8 kHz input (no energy above 4 kHz for a wideband model)
 * scores lower and is more often rejected: rejection, not a wrong command, is the safe side.
 */
export const DEFAULT_ENTRY_OFFSET = 1500;
/**
 * Narrowband input (8 kHz telephone-band audio upsampled to 16 kHz: no energy above 4.5 kHz) is recognised less reliably by the wideband model, and its margins overlap the wrong
 * commands: measured, "play music" at 8 kHz decoded as "volume up" with margin -5.1 while correct
 * 8 kHz commands scored -1.4 and 44.1 kHz ones >= -1.4. So narrowband audio must clear a stricter
 * threshold (-7 + 5 = -2): fewer 8 kHz commands are accepted, none wrongly.
 */
export const DEFAULT_NARROWBAND_PENALTY = 5;
/**
 * espeak-ng speech carries only 0.1-1.2 % of its energy above 4.5 kHz (measured), upsampled 8 kHz
 * audio none at all (the resampler's stop band is ~80 dB down): 1e-4 separates them.
 */
export const NARROWBAND_MAX_HIGH_ENERGY = 1e-4;
export const DEFAULT_MIN_MARGIN = -7;
export const DEFAULT_MIN_SPEECH_MS = 200;

const GRAMMAR_SEARCH = 'alicia_grammar';
const PHONE_SEARCH = 'alicia_phones';

/**
 * Beams of the grammar search. Measured on espeak-ng speech: wider beams than the defaults take word
 * accuracy on synthetic speech to ~90-96 %. They also keep the rejection sound: measured with the
 * default beams (1e-48), out-of-grammar sentences got grammar scores close to the phone loop's and
 * 4 of 12 passed the margin threshold (the search keeps a best partial path when pruning cuts off
 * every path to the final state), so tighter beams are not a safe speed-up here.
 */
export const GRAMMAR_BEAMS: readonly string[] = ['-beam', '1e-80', '-pbeam', '1e-80', '-wbeam', '1e-60'];
/** The phone loop's beams: tighter ones gave the same scores at the same cost (measured). */
export const PHONE_LOOP_BEAMS: readonly string[] = ['-beam', '1e-80', '-pbeam', '1e-80', '-wbeam', '1e-60'];
/**
 * A streamed recognition accepted with a per-frame margin below this is decoded again as a whole
 * utterance (openStream). 0: streamed decodes of correct commands measured mostly above it, the
 * on/off flip that made it necessary at -3.2.
 */
export const STREAM_VERIFY_MARGIN = 0;
/** Silence kept around the speech by trimSilence (ms); see DEFAULT_ENTRY_OFFSET for the effect. */
export const DEFAULT_TRIM_PAD_MS = 150;

export class PocketsphinxEngine implements SttEngine {
  readonly name = 'pocketsphinx';
  private readonly opts: Required<Omit<PocketsphinxOptions, 'trimPadMs'>> & { trimPadMs: number | null };
  private grammar: PocketsphinxDecoder | undefined;
  private phones: PocketsphinxDecoder | undefined;
  /** decoder pairs of streamed utterances (separate: streaming changes a decoder's normalisation for good) */
  private pool: StreamDecoderPool | undefined;
  private grammarSet = false;
  private answersSet = false;
  /** each decoder is single-user: every use goes through this chain */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(opts: PocketsphinxOptions = {}) {
    const hmm = opts.hmm ?? join(DEFAULT_MODEL_DIR, 'en-us');
    this.opts = {
      hmm,
      dict: opts.dict ?? join(DEFAULT_MODEL_DIR, 'cmudict-en-us.dict'),
      phoneLm: opts.phoneLm ?? join(DEFAULT_MODEL_DIR, 'en-us-phone.lm.bin'),
      minSpeechMs: opts.minSpeechMs ?? DEFAULT_MIN_SPEECH_MS,
      activityDbfs: opts.activityDbfs ?? -40,
      minMargin: opts.minMargin ?? DEFAULT_MIN_MARGIN,
      entryOffset: opts.entryOffset ?? DEFAULT_ENTRY_OFFSET,
      narrowbandPenalty: opts.narrowbandPenalty ?? DEFAULT_NARROWBAND_PENALTY,
      marginScale: opts.marginScale ?? 2,
      extraArgs: opts.extraArgs ?? [],
      grammarArgs: opts.grammarArgs ?? [...GRAMMAR_BEAMS],
      phoneArgs: opts.phoneArgs ?? [...PHONE_LOOP_BEAMS],
      trimPadMs: opts.trimPadMs === undefined ? DEFAULT_TRIM_PAD_MS : opts.trimPadMs,
      parallel: opts.parallel ?? true,
    };
  }

  get started(): boolean {
    return this.grammar !== undefined;
  }

  /** Loads the library and both decoders (synchronous C calls); a failure is the returned promise's rejection. */
  start(): Promise<void> {
    try {
      this.open();
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private open(): void {
    if (this.grammar) return;
    const lib = loadPocketsphinx();
    for (const [what, p] of [
      ['acoustic model', this.opts.hmm],
      ['dictionary', this.opts.dict],
      ['phone language model', this.opts.phoneLm],
    ] as const) {
      if (!existsSync(p))
        throw new AliciaError(
          'STT_ENGINE_MISSING',
          `pocketsphinx ${what} not found at ${p} (install the Debian package pocketsphinx-en-us)`,
        );
    }
    const common = [
      '-hmm',
      this.opts.hmm,
      '-dict',
      this.opts.dict,
      // Context-dependent allphone search takes 20+ s per utterance in this version (measured);
      // context-independent phones take ~60 ms per second of audio.
      '-allphone_ci',
      'yes',
      '-cmn',
      'current',
      // pocketsphinx logs to stderr by default (hundreds of lines per utterance). The log file is
      // process-wide in sphinxbase (err_set_logfile): set only here, before either decoder runs.
      '-logfn',
      '/dev/null',
    ];
    // Two decoders rather than two searches in one: each keeps its own beams, and the grammar and
    // the phone loop can run at the same time (2 cores: the latency is the slower pass, not the sum).
    const grammar = PocketsphinxDecoder.open(lib, [...common, ...this.opts.grammarArgs, ...this.opts.extraArgs], GRAMMAR_SEARCH);
    let phones: PocketsphinxDecoder | undefined;
    try {
      phones = PocketsphinxDecoder.open(lib, [...common, ...this.opts.phoneArgs, ...this.opts.extraArgs], PHONE_SEARCH);
      phones.setPhoneLoop(this.opts.phoneLm);
    } catch (e) {
      grammar.close();
      phones?.close();
      throw e;
    }
    this.grammar = grammar;
    this.phones = phones;
    this.pool = new StreamDecoderPool(
      () => PocketsphinxDecoder.open(lib, [...common, ...this.opts.grammarArgs, ...this.opts.extraArgs], GRAMMAR_SEARCH),
      () => {
        const d = PocketsphinxDecoder.open(lib, [...common, ...this.opts.phoneArgs, ...this.opts.extraArgs], PHONE_SEARCH);
        d.setPhoneLoop(this.opts.phoneLm);
        return d;
      },
    );
    // the first streamed command should not wait for its decoders
    this.pool.warm(1);
  }

  async stop(): Promise<void> {
    await this.queue.catch(() => undefined);
    this.pool?.close();
    this.pool = undefined;
    this.grammar?.close();
    this.phones?.close();
    this.grammar = undefined;
    this.phones = undefined;
    this.grammarSet = false;
  }

  setGrammar(jsgf: string, kind: GrammarKind = 'commands'): Promise<void> {
    return this.serial(() => {
      // answers are only listened for in streams (a spoken yes/no after a question)
      if (kind === 'answers') {
        this.decoders().grammar.addJsgf(ANSWER_SEARCH, jsgf);
        this.streamPool.setJsgf(jsgf, 'answers');
        this.answersSet = true;
        return Promise.resolve();
      }
      this.decoders().grammar.setJsgf(jsgf);
      this.streamPool.setJsgf(jsgf);
      this.grammarSet = true;
      return Promise.resolve();
    });
  }

  recognize(pcm16k: Int16Array, kind: GrammarKind = 'commands'): Promise<SttRecognition> {
    return this.serial(async () => {
      const { grammar, phones } = this.decoders();
      if (!this.grammarSet) throw new AliciaError('STT_ENGINE_FAILED', 'no grammar loaded yet');
      if (kind === 'answers') {
        if (!this.answersSet) throw new AliciaError('STT_ENGINE_FAILED', 'no answer grammar loaded yet');
        grammar.useSearch(ANSWER_SEARCH);
        try {
          return await this.recognizeOn(grammar, phones, pcm16k);
        } finally {
          grammar.useSearch(GRAMMAR_SEARCH);
        }
      }
      return this.recognizeOn(grammar, phones, pcm16k);
    });
  }

  private async recognizeOn(grammar: PocketsphinxDecoder, phones: PocketsphinxDecoder, pcm16k: Int16Array): Promise<SttRecognition> {
    const { base, silence } = this.silenceGate(pcm16k);
    if (silence) return silence;
    const pcm =
      this.opts.trimPadMs === null
        ? pcm16k
        : trimSilence(pcm16k, 16000, { thresholdDbfs: this.opts.activityDbfs, padMs: this.opts.trimPadMs }).samples;
    const t0 = performance.now();
    let g: DecodeResult;
    let p: DecodeResult | null;
    if (this.opts.parallel) {
      // Both passes at once on koffi's worker threads; the phone loop is wasted on noise the grammar
      // cannot explain, which is rare and costs no latency.
      [g, p] = await Promise.all([grammar.decode(pcm), phones.decode(pcm)]);
    } else {
      g = await grammar.decode(pcm);
      p = null;
    }
    const t1 = performance.now();
    if (!hasHypothesis(g)) return this.verdict(g, g, pcm, base, {});
    p ??= await phones.decode(pcm);
    const t2 = performance.now();
    return this.verdict(g, p, pcm, base, {
      decode_ms: Math.round(t2 - t0),
      ...(this.opts.parallel ? {} : { grammar_ms: Math.round(t1 - t0), phone_ms: Math.round(t2 - t1) }),
    });
  }

  /**
   * A streamed utterance on a decoder pair of its own (pocketsphinxStream.ts), judged by the same
   * gates as recognize(): the stream feeds its decoders exactly the samples trimSilence() would keep.
   */
  openStream(kind: GrammarKind = 'commands'): Promise<SttStream> {
    try {
      return Promise.resolve(this.streamOn(kind));
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private streamOn(kind: GrammarKind): SttStream {
    this.decoders();
    if (!this.grammarSet) throw new AliciaError('STT_ENGINE_FAILED', 'no grammar loaded yet');
    if (kind === 'answers' && !this.streamPool.hasAnswers()) throw new AliciaError('STT_ENGINE_FAILED', 'no answer grammar loaded yet');
    const pair = this.streamPool.acquire(kind);
    return new PocketsphinxStream(pair, {
      trim: this.opts.trimPadMs === null ? null : { thresholdDbfs: this.opts.activityDbfs, padMs: this.opts.trimPadMs },
      judge: async (all, fed, g, p, timing) => {
        const { base, silence } = this.silenceGate(all);
        if (silence) return silence;
        const r = this.verdict(g, p, fed, base, timing);
        // A streamed decode normalises with a running cepstral mean (pocketsphinxDecoder.ts, startUtt),
        // which the whole-utterance path does not: measured, "turn it off" streamed came back as "turn it
        // on" at margin -3.2 where the whole utterance gives "turn it off" at +1.8. An accepted stream
        // with a margin below STREAM_VERIFY_MARGIN is decoded once more the whole-utterance way, whose
        // answer stands (the cost falls on the doubtful few; the rest keep the short tail).
        const margin = r.details?.margin;
        if (kind === 'commands' && r.understood && typeof margin === 'number' && margin < STREAM_VERIFY_MARGIN) {
          const whole = await this.recognize(all);
          return { ...whole, details: { ...whole.details, stream_hypothesis: r.text, stream_margin: margin, reverified: 1 } };
        }
        return r;
      },
      release: (broken) => this.streamPool.release(pair, broken),
    });
  }

  /** Gate 1, on the whole audio: too little of it above the activity threshold is silence. */
  private silenceGate(pcm16k: Int16Array): { base: Record<string, number>; silence: SttRecognition | null } {
    const act = activity(pcm16k, 16000, { thresholdDbfs: this.opts.activityDbfs });
    const base = { active_ms: act.activeMs, rms_dbfs: Math.round(act.rmsDbfs * 10) / 10, zcr: Math.round(act.activeZcr * 1000) / 1000 };
    const silence =
      act.activeMs < this.opts.minSpeechMs ? { text: '', confidence: 0, understood: false, reason: 'silence', details: base } : null;
    return { base, silence };
  }

  /** Gates 2 and 3 on the grammar and phone-loop results of the (trimmed) audio `pcm`. */
  private verdict(
    g: DecodeResult,
    p: DecodeResult,
    pcm: Int16Array,
    base: Record<string, number>,
    timing: Record<string, number>,
  ): SttRecognition {
    const text = (g.hyp ?? '').trim();
    if (!hasHypothesis(g)) {
      return { text: '', confidence: 0, understood: false, reason: 'no_hypothesis', details: { ...base, frames: g.frames } };
    }
    const margin = (g.score - p.score + this.opts.entryOffset) / g.frames;
    const highBand = energyAbove(pcm, 16000, 4500);
    const narrowband = highBand < NARROWBAND_MAX_HIGH_ENERGY;
    const threshold = this.opts.minMargin + (narrowband ? this.opts.narrowbandPenalty : 0);
    const confidence = 1 / (1 + Math.exp(-(margin - threshold) / this.opts.marginScale));
    const understood = margin >= threshold;
    const details = {
      ...base,
      high_band: Math.round(highBand * 10000) / 10000,
      threshold,
      frames: g.frames,
      grammar_score: g.score,
      phone_score: p.score,
      margin: Math.round(margin * 100) / 100,
      hypothesis: text,
      ...timing,
    };
    return understood ? { text, confidence, understood, details } : { text: '', confidence, understood, reason: 'low_confidence', details };
  }

  private decoders(): { grammar: PocketsphinxDecoder; phones: PocketsphinxDecoder } {
    if (!this.grammar || !this.phones) throw new AliciaError('STT_ENGINE_MISSING', 'the pocketsphinx engine is not started');
    return { grammar: this.grammar, phones: this.phones };
  }

  private get streamPool(): StreamDecoderPool {
    if (!this.pool) throw new AliciaError('STT_ENGINE_MISSING', 'the pocketsphinx engine is not started');
    return this.pool;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function hasHypothesis(g: DecodeResult): boolean {
  return (g.hyp ?? '').trim() !== '' && g.frames > 0;
}
