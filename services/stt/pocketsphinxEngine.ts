import { existsSync } from 'node:fs';
import { activity, energyAbove } from '../lib/audio/wav.js';
import { GARBAGE_WORDS, garbageUnit, isGarbageWord } from '../lib/language/garbage.js';
import { loadPronunciations } from '../lib/language/grammar.js';
import { pocketsphinxBundle } from '../lib/language/pocketsphinxBundle.js';
import { AliciaError } from '../lib/protocol/errors.js';
import { decodeUtterance } from './decoder.js';
import { dictionaryOnDemand } from './dictionaryOnDemand.js';
import type { Decoder, DecoderBackend, Hypothesis } from './decoder.js';
import { GarbageFillerDict, loadGrammar, spokenWords } from './garbageFillers.js';
import { addNoiseFloor } from './noiseFloor.js';
import { wasmBackend } from './wasmDecoder.js';
import type { GrammarKind, SttEngine, SttRecognition, SttStream } from './sttEngine.js';
import { PocketsphinxStream, StreamDecoderPool } from './pocketsphinxStream.js';
import { trimSilence } from './trimSilence.js';
import type { TrimOptions } from './trimSilence.js';

/**
 * Offline recognition with pocketsphinx, decoders kept alive for the life of the service
 * (ps_init ~175 ms measured on a 2-core machine), constrained by the grammar of the known commands.
 *
 * Rejection: silence, noise and speech that is not a command must come back "not understood",
 * never as a command, and least of all as another device's command. A grammar decoder always finds
 * *some* sentence of its grammar, so its hypothesis alone is no evidence. Four gates, cheapest first:
 *  1. energy: too little audio above the activity threshold -> silence, the decoder is not run;
 *  2. the grammar decode has no hypothesis (no path reached the end);
 *  3. garbage: the grammar (services/lib/language/grammar.ts, garbage.ts) lets every state leave
 *     for a loop of garbage units (phones, and household words the home lacks) that competes with
 *     the commands inside the same search; a best path through it is `out_of_grammar`. This is what
 *     turns "turn on the garage light" into "not understood" instead of "turn on the bedroom light";
 *  4. likelihood ratio: the same audio is decoded by an unconstrained phone loop (allphone search,
 *     context-independent phones) on a second decoder, at the same time (two cores: the latency is
 *     the slower of the two passes). margin = (score_grammar - score_phoneloop + offset) / frames
 *     below the threshold is `low_confidence`; the margin also gives the confidence. The classic
 *     garbage/filler-model verification (Rose & Paul 1990; Sukkar & Lee 1996).
 * Before decoding, the audio is trimmed to the speech plus 150 ms on each side (trimSilence.ts) and
 * given a faint noise floor (noiseFloor.ts: digitally silent stretches made speech score as silence).
 * Every price and threshold was chosen on the tuning set of services/stt/accuracy/corpus.ts only
 * (services/stt/README.md has the numbers; `npm run bench` reports the test set).
 */

export interface PocketsphinxOptions {
  /** what runs the decoders (default: the WebAssembly build that ships with the app; decoderBackends.ts) */
  backend?: DecoderBackend;
  /** acoustic model dir (-hmm); default: the model that ships with the app (resources/pocketsphinx) */
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
  /** silence kept after the speech (ms, default DEFAULT_TRIM_END_PAD_MS) */
  trimEndPadMs?: number;
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
/**
 * -7 was chosen before the garbage path, which now does most of the rejecting. Re-chosen on the
 * TUNING set of services/stt/accuracy/corpus.ts only (seeded sample of 400: 63 commands, 337
 * non-commands; the garbage path with its generated vocabulary and its return after names,
 * garbage.ts): -14 got 44/63 commands right with 13/337 non-commands accepted, -10 41/63 with 12,
 * -7 35/63 with 9. The garbage path decides most; among what it lets through, commands and near
 * misses share margins, so the commands decide: -14.
 */
export const DEFAULT_MIN_MARGIN = -14;
/**
 * The threshold when the command grammar has no garbage path (JSGF, stt's default, see sttConfig
 * `garbage_path`): -7, measured before the garbage path existed (the gap described above
 * DEFAULT_ENTRY_OFFSET), and checked again on the tuning set once the noise floor was on for it too:
 * from -9 to -4 the same 78 of 80 commands are right, while false accepts fall from 46 to 38 of 80,
 * so -7 stays (a higher one would trade commands for little). The garbage path moves margins, so
 * it has its own, -14.
 */
export const DEFAULT_MIN_MARGIN_WITHOUT_GARBAGE = -7;
export const DEFAULT_MIN_SPEECH_MS = 200;

/**
 * A streamed recognition accepted with a per-frame margin below this is decoded again as a whole
 * utterance (openStream). 0: streamed decodes of correct commands measured mostly above it, the
 * on/off flip that made it necessary at -3.2.
 */
export const STREAM_VERIFY_MARGIN = 0;

const GRAMMAR_SEARCH = 'alicia_grammar';
/** pocketsphinx's language weight for grammars (its default), said explicitly: FSG probabilities are scaled by it */
const LANGUAGE_WEIGHT = '6.5';
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
/** Silence kept around the speech by trimSilence (ms); see DEFAULT_ENTRY_OFFSET for the effect. */
export const DEFAULT_TRIM_PAD_MS = 150;
/**
 * Silence kept after the speech (ms). Shorter than before it, so that a stream recognised whole
 * (wholeStream.ts) has all of what will be decoded one 100 ms chunk sooner and can start on it while
 * the last chunk is on its way: with 150 ms, a user letting go 150 ms after the speech left the whole
 * decode for after the last chunk. Chosen on the TUNING set of accuracy/corpus.ts only (160 commands,
 * 160 non-commands, the default grammar without garbage path, -7): 150, 100 and 70 ms all got 157/160
 * commands right with 81/160 false accepts; 50 ms 157 with 83. So 70, the shortest that changed
 * nothing there.
 */
export const DEFAULT_TRIM_END_PAD_MS = 70;

export class PocketsphinxEngine implements SttEngine {
  readonly name = 'pocketsphinx';
  private readonly opts: Required<Omit<PocketsphinxOptions, 'trimPadMs' | 'hmm' | 'dict' | 'phoneLm' | 'backend'>> & {
    trimPadMs: number | null;
    hmm?: string;
    dict?: string;
    phoneLm?: string;
  };
  private readonly backend: DecoderBackend;
  private grammar: Decoder | undefined;
  private phones: Decoder | undefined;
  /** decoder pairs of streamed utterances, opened on the first stream (voice.decode "stream") */
  private pool: StreamDecoderPool | undefined;
  /** the grammars (FSG or JSGF text), kept to restore the grammar decoder's command search after an answer */
  private commandGrammar: string | null = null;
  private answerGrammar: string | null = null;
  /** the filler dictionary (the model's noise words + the garbage phones), written at start */
  private readonly fillers = new GarbageFillerDict();
  /** each decoder is single-user: every use goes through this chain */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(opts: PocketsphinxOptions = {}) {
    this.backend = dictionaryOnDemand(opts.backend ?? wasmBackend());
    this.opts = {
      ...(opts.hmm ? { hmm: opts.hmm } : {}),
      ...(opts.dict ? { dict: opts.dict } : {}),
      ...(opts.phoneLm ? { phoneLm: opts.phoneLm } : {}),
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
      trimEndPadMs: opts.trimEndPadMs ?? DEFAULT_TRIM_END_PAD_MS,
      parallel: opts.parallel ?? true,
    };
  }

  get started(): boolean {
    return this.grammar !== undefined;
  }

  /** what recognize() decodes of its audio (trimSilence's options), null when it decodes all of it */
  get trim(): TrimOptions | null {
    return this.opts.trimPadMs === null ? null : this.trimOptions(this.opts.trimPadMs);
  }

  /** the backend that runs the decoders ("wasm" or "native") */
  get backendName(): string {
    return this.backend.name;
  }

  /** Loads both decoders (in parallel); a failure is the returned promise's rejection. */
  async start(): Promise<void> {
    if (this.grammar) return;
    // the model that ships with the app unless the configuration names other files
    const model = {
      hmm: this.opts.hmm ?? pocketsphinxBundle().hmm,
      dict: this.opts.dict ?? pocketsphinxBundle().dict,
      phoneLm: this.opts.phoneLm ?? pocketsphinxBundle().phoneLm,
    };
    for (const [what, p] of [
      ['acoustic model', model.hmm],
      ['dictionary', model.dict],
      ['phone language model', model.phoneLm],
    ] as const) {
      if (!existsSync(p)) throw new AliciaError('STT_ENGINE_MISSING', `pocketsphinx ${what} not found at ${p}`);
    }
    const common = [
      '-hmm',
      model.hmm,
      // Context-dependent allphone search takes 20+ s per utterance in this version (measured);
      // context-independent phones take ~60 ms per second of audio.
      '-allphone_ci',
      'yes',
      '-cmn',
      'current',
      // (pocketsphinx's own logging, hundreds of lines per utterance, is turned off by each backend)
    ];
    // The garbage phones are filler words (context-independent, one HMM each): pocketsphinx reads
    // fillers only from a file (-fdict), so the model's noise dictionary is copied with them added.
    const fdict = this.fillers.write(model.hmm);
    // -bestpath no: the lattice rescoring would charge filler words (the garbage) -fillprob again
    // and drop them from the path; the Viterbi path is what the garbage competes in.
    const grammarArgv = [...common, '-dict', model.dict, '-fdict', fdict, '-bestpath', 'no', '-lw', LANGUAGE_WEIGHT];
    // the garbage words, with the dictionary's pronunciation under their garbage name
    const garbageWords = [...loadPronunciations(model.dict, GARBAGE_WORDS)].map(([w, phones]) => ({ word: garbageUnit(w), phones }));
    const openGrammar = async (): Promise<Decoder> => {
      const d = await this.backend.open([...grammarArgv, ...this.opts.grammarArgs, ...this.opts.extraArgs], GRAMMAR_SEARCH);
      try {
        await d.addWords(garbageWords);
      } catch (e) {
        await d.close();
        throw e;
      }
      return d;
    };
    // The phone loop says phones, not words: without -dict it reads only the model's fillers, the
    // same scores (measured) with one 134,000-word dictionary less in memory.
    const openPhones = async (): Promise<Decoder> => {
      const d = await this.backend.open([...common, ...this.opts.phoneArgs, ...this.opts.extraArgs], PHONE_SEARCH);
      try {
        await d.setPhoneLoop(model.phoneLm);
      } catch (e) {
        await d.close();
        throw e;
      }
      return d;
    };
    // Two decoders rather than two searches in one: each keeps its own beams, and the grammar and
    // the phone loop can run at the same time (2 cores: the latency is the slower pass, not the sum).
    const [grammar, phones] = await Promise.allSettled([openGrammar(), openPhones()]);
    if (grammar.status === 'fulfilled' && phones.status === 'fulfilled') {
      this.grammar = grammar.value;
      this.phones = phones.value;
      // Streams get decoder pairs of their own (streaming changes a decoder's normalisation for good),
      // opened only when a stream asks: the default whole-utterance streams never need them. The same
      // decoders as these two (fillers, garbage words), so a stream rejects what recognize() rejects.
      this.pool = new StreamDecoderPool(openGrammar, openPhones);
      return;
    }
    for (const r of [grammar, phones]) if (r.status === 'fulfilled') await r.value.close();
    this.fillers.dispose();
    const failed: unknown = grammar.status === 'rejected' ? grammar.reason : (phones as PromiseRejectedResult).reason;
    throw failed instanceof Error ? failed : new Error(String(failed));
  }

  async stop(): Promise<void> {
    await this.queue.catch(() => undefined);
    await this.pool?.close();
    this.pool = undefined;
    await this.grammar?.close();
    await this.phones?.close();
    this.grammar = undefined;
    this.phones = undefined;
    this.commandGrammar = null;
    this.answerGrammar = null;
    this.fillers.dispose();
  }

  /**
   * The grammar of that kind: pocketsphinx FSG text (Grammar.fsg, with the garbage path) or JSGF (no
   * garbage path of its own: pocketsphinx then adds silence and the filler words, garbage phones
   * included, to every state, and a best path through one of those is rejected too).
   */
  setGrammar(grammar: string, kind: GrammarKind = 'commands'): Promise<void> {
    return this.serial(async () => {
      const d = this.decoders().grammar;
      if (kind === 'answers') {
        // checked now, so a bad answer grammar fails here and not at the first question; the
        // command search is restored at once (a decoder holds one search at a time)
        await loadGrammar(d, grammar);
        if (this.commandGrammar !== null) await loadGrammar(d, this.commandGrammar);
        this.answerGrammar = grammar;
      } else {
        // The old command search goes first (the small answer search stands in): pocketsphinx builds a
        // new search before it frees the one it replaces, and WebAssembly memory never shrinks, so each
        // device change left the grammar decoder ~16 MiB larger (measured). A refused grammar puts the
        // previous one back.
        const previous = this.commandGrammar;
        if (previous !== null && this.answerGrammar !== null) await loadGrammar(d, this.answerGrammar);
        try {
          await loadGrammar(d, grammar);
        } catch (e) {
          if (previous !== null) await loadGrammar(d, previous);
          throw e;
        }
        this.commandGrammar = grammar;
      }
      this.streamPool.setGrammar(grammar, kind);
    });
  }

  recognize(pcm16k: Int16Array, kind: GrammarKind = 'commands'): Promise<SttRecognition> {
    return this.serial(async () => {
      const { grammar, phones } = this.decoders();
      const commands = this.commandGrammar;
      if (commands === null) throw new AliciaError('STT_ENGINE_FAILED', 'no grammar loaded yet');
      if (kind === 'answers') {
        if (this.answerGrammar === null) throw new AliciaError('STT_ENGINE_FAILED', 'no answer grammar loaded yet');
        // An answer is rare (one per question) and its grammar tiny: swapping the grammar decoder's
        // search costs one parse of the command grammar afterwards, where a decoder of its own would
        // hold a second model and dictionary for the life of the service.
        await loadGrammar(grammar, this.answerGrammar);
        try {
          return await this.recognizeOn(grammar, phones, pcm16k);
        } finally {
          await loadGrammar(grammar, commands);
        }
      }
      return this.recognizeOn(grammar, phones, pcm16k);
    });
  }

  private async recognizeOn(grammar: Decoder, phones: Decoder, pcm16k: Int16Array): Promise<SttRecognition> {
    const { base, silence } = this.silenceGate(pcm16k);
    if (silence) return silence;
    const trimmed = this.opts.trimPadMs === null ? pcm16k : trimSilence(pcm16k, 16000, this.trimOptions(this.opts.trimPadMs)).samples;
    // A faint noise floor under the audio (noiseFloor.ts), always: the garbage path needs it, and so does
    // the grammar alone. Without it, digitally silent stretches made a reading depend on where the audio
    // started within a 10 ms frame (measured on the tuning set: 65 of 80 commands right without it, 78
    // with it, at the same -7; "set the thermostat to heat" read as "dim the thermostat to thirty" for 6
    // of 16 sub-frame shifts), which is how a microphone misheard what the same file did not.
    const pcm = addNoiseFloor(trimmed);
    const t0 = performance.now();
    let g: Hypothesis;
    let p: Hypothesis | null;
    if (this.opts.parallel) {
      // Both passes at once, one thread each; the phone loop is wasted on noise the grammar
      // cannot explain, which is rare and costs no latency.
      [g, p] = await Promise.all([decodeUtterance(grammar, pcm), decodeUtterance(phones, pcm)]);
    } else {
      g = await decodeUtterance(grammar, pcm);
      p = null;
    }
    const t1 = performance.now();
    // garbage units are fillers: they are missing from the hypothesis string, never from the segments
    const words = g.frames > 0 ? spokenWords(await grammar.segments()) : [];
    // no sentence, or a best path through the garbage: rejected whatever the phone loop says, which is not run for it
    if (!p && (words.length === 0 || words.some(isGarbageWord))) return this.verdict(g, words, null, trimmed, base, {});
    p ??= await decodeUtterance(phones, pcm);
    const t2 = performance.now();
    // the narrowband gate on the audio as given: the noise floor has energy in every band
    return this.verdict(g, words, p, trimmed, base, {
      decode_ms: Math.round(t2 - t0),
      ...(this.opts.parallel ? {} : { grammar_ms: Math.round(t1 - t0), phone_ms: Math.round(t2 - t1) }),
    });
  }

  /**
   * A streamed utterance on a decoder pair of its own (pocketsphinxStream.ts), judged by the same
   * gates as recognize(): the stream feeds its decoders exactly the samples trimSilence() would keep.
   */
  async openStream(kind: GrammarKind = 'commands'): Promise<SttStream> {
    this.decoders();
    if (this.commandGrammar === null) throw new AliciaError('STT_ENGINE_FAILED', 'no grammar loaded yet');
    if (kind === 'answers' && this.answerGrammar === null) throw new AliciaError('STT_ENGINE_FAILED', 'no answer grammar loaded yet');
    const pool = this.streamPool;
    const pair = await pool.acquire(kind);
    return PocketsphinxStream.start(pair, {
      trim: this.trim,
      judge: async (all, fed, g, segments, p, timing) => {
        const { base, silence } = this.silenceGate(all);
        if (silence) return silence;
        const r = this.verdict(g, g.frames > 0 ? spokenWords(segments) : [], p, fed, base, timing);
        // A streamed decode normalises with a running cepstral mean (pocketsphinxStream.ts), which
        // the whole-utterance path does not: measured, "turn it off" streamed came back as "turn it
        // on" at margin -3.2 where the whole utterance gives "turn it off" at +1.8. An accepted stream
        // with a margin below STREAM_VERIFY_MARGIN is decoded once more the whole-utterance way, whose
        // answer stands (the cost falls on the doubtful few; the rest keep the short tail). The same
        // for a command stream whose best path went through the garbage: measured, the first stream on
        // a new decoder pair (its running mean not yet settled) heard "lock the front door" as "lock"
        // + garbage, which the whole utterance hears right; so the garbage path rejects on a stream
        // exactly what it rejects whole (at the cost of one more decode for speech that is no command).
        const margin = r.details?.margin;
        const doubtful = r.understood ? typeof margin === 'number' && margin < STREAM_VERIFY_MARGIN : r.reason === 'out_of_grammar';
        if (kind === 'commands' && doubtful) {
          const whole = await this.recognize(all);
          return {
            ...whole,
            details: {
              ...whole.details,
              stream_hypothesis: r.understood ? r.text : String(r.details?.heard ?? ''),
              stream_margin: typeof margin === 'number' ? margin : null,
              reverified: 1,
            },
          };
        }
        return r;
      },
      release: (broken) => pool.release(pair, broken),
    });
  }

  private trimOptions(padMs: number): TrimOptions {
    return { thresholdDbfs: this.opts.activityDbfs, padMs, padEndMs: this.opts.trimEndPadMs };
  }

  /** Gate 1, on the whole audio: too little of it above the activity threshold is silence. */
  private silenceGate(pcm16k: Int16Array): { base: Record<string, number>; silence: SttRecognition | null } {
    const act = activity(pcm16k, 16000, { thresholdDbfs: this.opts.activityDbfs });
    const base = { active_ms: act.activeMs, rms_dbfs: Math.round(act.rmsDbfs * 10) / 10, zcr: Math.round(act.activeZcr * 1000) / 1000 };
    const silence =
      act.activeMs < this.opts.minSpeechMs ? { text: '', confidence: 0, understood: false, reason: 'silence', details: base } : null;
    return { base, silence };
  }

  /**
   * Gates 2 to 4 on the grammar decode's best path (`words`, garbage units kept) and the phone loop's
   * score, `pcm` being the trimmed audio as given (before the noise floor). `p` is null only when the
   * phone loop was not run because the path already says no (no words, or garbage).
   */
  private verdict(
    g: Hypothesis,
    words: readonly string[],
    p: Hypothesis | null,
    pcm: Int16Array,
    base: Record<string, number>,
    timing: Record<string, number>,
  ): SttRecognition {
    if (words.length === 0 || g.frames === 0) {
      return { text: '', confidence: 0, understood: false, reason: 'no_hypothesis', details: { ...base, frames: g.frames } };
    }
    const heard = words.join(' ');
    const text = words.filter((w) => !isGarbageWord(w)).join(' ');
    if (!p) return { text: '', confidence: 0, understood: false, reason: 'out_of_grammar', details: { ...base, frames: g.frames, heard } };
    const margin = (g.score - p.score + this.opts.entryOffset) / g.frames;
    const highBand = energyAbove(pcm, 16000, 4500);
    const narrowband = highBand < NARROWBAND_MAX_HIGH_ENERGY;
    const threshold = this.opts.minMargin + (narrowband ? this.opts.narrowbandPenalty : 0);
    const details = {
      ...base,
      high_band: Math.round(highBand * 10000) / 10000,
      threshold,
      frames: g.frames,
      grammar_score: g.score,
      phone_score: p.score,
      margin: Math.round(margin * 100) / 100,
      heard,
      ...timing,
    };
    if (text !== heard) return { text: '', confidence: 0, understood: false, reason: 'out_of_grammar', details };
    const confidence = 1 / (1 + Math.exp(-(margin - threshold) / this.opts.marginScale));
    const understood = margin >= threshold;
    return understood ? { text, confidence, understood, details } : { text: '', confidence, understood, reason: 'low_confidence', details };
  }

  private get streamPool(): StreamDecoderPool {
    if (!this.pool) throw new AliciaError('STT_ENGINE_MISSING', 'the pocketsphinx engine is not started');
    return this.pool;
  }

  private decoders(): { grammar: Decoder; phones: Decoder } {
    if (!this.grammar || !this.phones) throw new AliciaError('STT_ENGINE_MISSING', 'the pocketsphinx engine is not started');
    return { grammar: this.grammar, phones: this.phones };
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
