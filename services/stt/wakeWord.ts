import { existsSync } from 'node:fs';
import { pocketsphinxBundle } from '../lib/language/pocketsphinxBundle.js';
import { AliciaError } from '../lib/protocol/errors.js';
import { FsgWriter } from '../lib/language/fsg.js';
import { GARBAGE_PHONES, garbageUnit, isGarbageWord } from '../lib/language/garbage.js';
import { FSG_FILLERS } from '../lib/language/grammar.js';
import { decodeUtterance } from './decoder.js';
import { dictionaryOnDemand } from './dictionaryOnDemand.js';
import type { Decoder, DecoderBackend } from './decoder.js';
import { GarbageFillerDict, fsgFillers, spokenWords } from './garbageFillers.js';
import { addNoiseFloor } from './noiseFloor.js';
import { GRAMMAR_BEAMS } from './pocketsphinxEngine.js';
import { wasmBackend } from './wasmDecoder.js';
import { concatPcm } from '../lib/audio/pcm.js';

/**
 * The wake word, in two stages, on a stream of 16 kHz mono audio (one detector per listening site):
 *  1. spotting: pocketsphinx keyword spotting (the kws search, ps_set_keyphrase) compares the
 *     phrase's phones with a free phone loop as the audio arrives and fires when their likelihood
 *     ratio passes `threshold` (-kws_threshold). Alone it is either deaf or jumpy: measured on the
 *     tuning voices with the dictionary's pronunciation only, 1e-50 heard 85 % of the phrases and woke
 *     falsely ~12 times a minute, 1e-40 heard 49 % and still woke falsely 3 times a minute. So each hit is
 *  2. verified: the last VERIFY_MS of audio are decoded by a second decoder against a grammar that
 *     can say the phrase between two loops of garbage phones, or garbage phones alone (the garbage
 *     path of the command grammar, services/lib/language/garbage.ts). A wake is reported only when
 *     the best path says the phrase: its words must beat phones priced `verifyPhoneProb` each.
 * Both values were chosen on the tuning voices of services/stt/accuracy/corpus.ts (services/stt/README.md
 * has the numbers) and are reported on the test voices by `npm run bench` (wake).
 *
 * The phrase must be words of the pronunciation dictionary. "alicia" is there only as AH L IH SH AH;
 * most speakers (and espeak-ng) say a-LEE-sha, AH L IY SH AH, which the spotter then barely heard
 * (measured: 7 of 72 tuning phrases at -kws_threshold 1e-30). EXTRA_PRONUNCIATIONS adds it as an
 * alternative pronunciation; the spotter listens for it, the verifier accepts either.
 *
 * Use: `const d = new WakeWordDetector({ phrase: 'alicia' }); await d.start();` then, for each chunk
 * of the stream (any length, e.g. 20-200 ms), `const { woke, endMs } = await d.process(pcm16k)`;
 * after a wake the audio from `endMs` on (the stream's clock, ms since start() or reset()) is the
 * command; `reset()` restarts the clock (a new stream, a gap); `await d.stop()`. All async.
 */

export const DEFAULT_WAKE_PHRASE = 'alicia';
/** pronunciations the CMU dictionary lacks, added to both decoders as "<word>(2)" */
export const EXTRA_PRONUNCIATIONS: Readonly<Record<string, string>> = { alicia: 'AH L IY SH AH' };
/**
 * Chosen on the tuning set (72 "alicia, <command>" phrases in 8 voices x 3 speeds; 4.1 min of speech and
 * noise without it), spotter / verifier price, without the noise floor: 1e-30 / 3e-2 heard 47 with 2 false
 * wakes, 1e-30 / 1e-1 40 with 2, 1e-30 / 1e-2 58 with 2, 1e-20 / 1e-2 57 with 0, 1e-20 / 1e-3 58 with 0;
 * with it (now): 1e-20 / 1e-2 heard 69 with 1 false wake.
 */
export const DEFAULT_WAKE_THRESHOLD = 1e-20;
export const DEFAULT_VERIFY_PHONE_PROB = 1e-2;
/** audio decoded by the verifier: the phrase and some context before it */
const VERIFY_MS = 1600;
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
const VERIFY_SEARCH = 'wake_verify';

export interface WakeWordOptions {
  /** the words to listen for (default "alicia") */
  phrase: string;
  /** -kws_threshold of the spotter (default DEFAULT_WAKE_THRESHOLD) */
  threshold?: number;
  /** price of each garbage phone in the verifier (default DEFAULT_VERIFY_PHONE_PROB; higher: stricter) */
  verifyPhoneProb?: number;
  /** acoustic model dir and dictionary (default: the model that ships with the app) */
  hmm?: string;
  dict?: string;
  /** what runs the decoders (default: the WebAssembly build) */
  backend?: DecoderBackend;
}

export interface WakeResult {
  woke: boolean;
  /** where the phrase ended, in ms of audio since start() or the last reset() */
  endMs?: number;
}

/** The phrase between two garbage loops, or garbage alone; silence anywhere. */
export function verifierFsg(words: readonly string[], phoneProb: number): string {
  const fsg = new FsgWriter();
  const start = fsg.state();
  const before = fsg.state();
  const after = fsg.state();
  const final = fsg.state();
  fsg.empty(start, before);
  let at = before;
  words.forEach((w, i) => {
    const next = i === words.length - 1 ? after : fsg.state();
    fsg.word(at, next, w);
    at = next;
  });
  fsg.empty(after, final);
  fsg.empty(before, final);
  for (const st of [before, after]) for (const p of GARBAGE_PHONES) fsg.word(st, st, garbageUnit(p), phoneProb);
  for (let st = 0; st < fsg.states; st++) for (const f of FSG_FILLERS) fsg.word(st, st, f.word, f.prob);
  return fsg.text('wake', start, final);
}

export class WakeWordDetector {
  private readonly phrase: string;
  private readonly threshold: number;
  private readonly verifyPhoneProb: number;
  private readonly hmm: string | undefined;
  private readonly dict: string | undefined;
  private readonly backend: DecoderBackend;
  private readonly fillers = new GarbageFillerDict();
  private decoder: Decoder | undefined;
  private verifier: Decoder | undefined;
  /** the last VERIFY_MS of audio, newest last */
  private recent: Int16Array[] = [];
  private recentSamples = 0;
  /** ms of audio fed since start()/reset(), and where the current utterance began on that clock */
  private fedMs = 0;
  private uttStartMs = 0;
  private restartPending = false;
  private clockResetPending = false;
  /** process() calls run one at a time, in order (the decoders are not re-entrant) */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(opts: WakeWordOptions) {
    this.phrase = opts.phrase.trim().toLowerCase().replace(/\s+/g, ' ');
    this.threshold = opts.threshold ?? DEFAULT_WAKE_THRESHOLD;
    this.verifyPhoneProb = opts.verifyPhoneProb ?? DEFAULT_VERIFY_PHONE_PROB;
    this.hmm = opts.hmm;
    this.dict = opts.dict;
    this.backend = dictionaryOnDemand(opts.backend ?? wasmBackend());
  }

  /** Load the model and start listening; STT_ENGINE_MISSING / STT_ENGINE_FAILED as the engine. */
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
    const words = this.phrase.split(' ');
    const extra = words.filter((w) => EXTRA_PRONUNCIATIONS[w]).map((w) => ({ word: `${w}(2)`, phones: EXTRA_PRONUNCIATIONS[w]! }));
    // the spotter takes one pronunciation per word: the added one where there is one
    const spotted = words.map((w) => (EXTRA_PRONUNCIATIONS[w] ? `${w}(2)` : w)).join(' ');
    const opened: Decoder[] = [];
    try {
      const d = await this.backend.open(['-hmm', hmm, '-dict', dict], SEARCH);
      opened.push(d);
      if (extra.length > 0) await d.addWords(extra);
      await d.setKeyphrase(spotted, this.threshold);
      await d.startUtt();
      const fdict = this.fillers.write(hmm);
      const v = await this.backend.open(['-hmm', hmm, '-dict', dict, '-fdict', fdict, '-bestpath', 'no', ...GRAMMAR_BEAMS], VERIFY_SEARCH);
      opened.push(v);
      if (extra.length > 0) await v.addWords(extra);
      const fsg = verifierFsg(words, this.verifyPhoneProb);
      await v.setFsg(fsg, fsgFillers(fsg));
      this.decoder = d;
      this.verifier = v;
    } catch (e) {
      for (const d of opened) await d.close();
      throw e;
    } finally {
      this.fillers.dispose();
    }
    this.fedMs = 0;
    this.uttStartMs = 0;
    this.recent = [];
    this.recentSamples = 0;
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

  /** Release the decoders once the audio already given is searched; can run twice. */
  async stop(): Promise<void> {
    await this.queue.catch(() => undefined);
    await this.decoder?.close();
    await this.verifier?.close();
    this.decoder = undefined;
    this.verifier = undefined;
  }

  private async search(pcm: Int16Array): Promise<WakeResult> {
    const d = this.decoder;
    const v = this.verifier;
    if (!d || !v) throw new AliciaError('STT_ENGINE_MISSING', 'the wake-word detector is not started');
    if (this.clockResetPending) {
      this.fedMs = 0;
      this.uttStartMs = 0;
      this.recent = [];
      this.recentSamples = 0;
      this.clockResetPending = false;
    }
    const uttMs = this.fedMs - this.uttStartMs;
    if (this.restartPending || uttMs >= MAX_UTTERANCE_MS || (uttMs >= RESTART_AFTER_MS && quiet(pcm))) await this.restart(d);
    // as for commands (noiseFloor.ts): digital silence between phrases made the spotter miss the next one
    const floored = addNoiseFloor(pcm);
    await d.processRaw(floored, false);
    this.fedMs += (pcm.length / 16000) * 1000;
    this.remember(floored);
    const { hyp } = await d.hyp();
    if (hyp === null || hyp.trim() === '') return { woke: false };
    const end = (await d.segments()).filter((s) => s.word.replace(/\(\d+\)$/, '') !== '<sil>').at(-1);
    // segment frames count from the start of the utterance (10 ms each, the end frame inclusive);
    // this pocketsphinx can number them past the audio after a restart: then the chunk's end stands in
    const framed = end ? this.uttStartMs + (end.endFrame + 1) * 10 : this.fedMs;
    const endMs = framed <= this.fedMs && framed > this.fedMs - VERIFY_MS ? framed : this.fedMs;
    // a new utterance either way, so the same hit is not reported again
    await this.restart(d);
    const heard = spokenWords(await decodeUtterance(v, this.recentAudio()).then(() => v.segments())).filter((w) => !isGarbageWord(w));
    if (heard.join(' ') !== this.phrase) return { woke: false };
    return { woke: true, endMs: Math.round(endMs) };
  }

  private remember(pcm: Int16Array): void {
    this.recent.push(pcm);
    this.recentSamples += pcm.length;
    const keep = (16000 * VERIFY_MS) / 1000;
    while (this.recent.length > 1 && this.recentSamples - this.recent[0]!.length >= keep) this.recentSamples -= this.recent.shift()!.length;
  }

  private recentAudio(): Int16Array {
    return concatPcm(this.recent);
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
