import { AliciaError } from '../lib/protocol/errors.js';
import type { Decoder, Hypothesis, WordSegment } from './decoder.js';
import { loadGrammar } from './garbageFillers.js';
import { NoiseFloor } from './noiseFloor.js';
import type { GrammarKind, SttRecognition, SttStream } from './sttEngine.js';
import { StreamTrim } from './streamTrim.js';
import type { TrimOptions } from './trimSilence.js';
import { concatPcm } from '../lib/audio/pcm.js';

/** The grammar and phone-loop decoders of one streamed utterance. */
export interface DecoderPair {
  grammar: Decoder;
  phones: Decoder;
  /** the grammar the grammar decoder holds: its kind and the pool's version of it (-1: none) */
  holds: { kind: GrammarKind; version: number };
}

/**
 * Decoder pairs for streams, kept for the life of the engine and reused: one pair per live stream
 * (a decoder holds one utterance at a time), opened when more streams run at once than ever before
 * (a decoder loads its model in ~0.2-0.5 s). The whole-utterance decoders never stream: at its first
 * full_utt=0 call sphinxbase switches a decoder's cepstral mean normalisation from the utterance's own
 * mean ("current") to a running estimate ("live") for good (feat.c, feat_cmn), which would change
 * their whole-utterance results too. A decoder holds one search at a time: a pair gets the grammar of
 * the stream's kind (commands or answers) when it is acquired, if it holds another.
 */
export class StreamDecoderPool {
  private readonly idle: DecoderPair[] = [];
  private readonly busy = new Set<DecoderPair>();
  private readonly grammars: Record<GrammarKind, { text: string | null; version: number }> = {
    commands: { text: null, version: 0 },
    answers: { text: null, version: 0 },
  };
  private closed = false;

  constructor(
    private readonly openGrammar: () => Promise<Decoder>,
    private readonly openPhones: () => Promise<Decoder>,
  ) {}

  /** pairs open (idle + busy): at most the most streams that ever ran at once */
  get size(): number {
    return this.idle.length + this.busy.size;
  }

  /** the grammar of that kind (FSG or JSGF text) for pairs acquired from now on */
  setGrammar(grammar: string, kind: GrammarKind = 'commands'): void {
    const g = this.grammars[kind];
    g.text = grammar;
    g.version++;
  }

  async acquire(kind: GrammarKind = 'commands'): Promise<DecoderPair> {
    if (this.closed) throw new AliciaError('STT_ENGINE_MISSING', 'the pocketsphinx engine is not started');
    const { text, version } = this.grammars[kind];
    if (text === null) throw new AliciaError('STT_ENGINE_FAILED', `no ${kind === 'answers' ? 'answer ' : ''}grammar loaded yet`);
    const pair = this.idle.pop() ?? (await this.open());
    this.busy.add(pair);
    try {
      if (pair.holds.kind !== kind || pair.holds.version !== version) {
        pair.holds = { kind, version: -1 };
        await loadGrammar(pair.grammar, text);
        pair.holds = { kind, version };
      }
    } catch (e) {
      await this.release(pair, true);
      throw e;
    }
    return pair;
  }

  /** Back to the pool; a pair whose utterance failed half-way is closed rather than reused. */
  async release(pair: DecoderPair, broken: boolean): Promise<void> {
    if (!this.busy.delete(pair)) return;
    if (broken || this.closed) await closePair(pair);
    else this.idle.push(pair);
  }

  /** Close every pair; streams still running fail with STT_ENGINE_MISSING on their next call. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.idle, ...this.busy];
    this.idle.length = 0;
    this.busy.clear();
    await Promise.all(all.map(closePair));
  }

  private async open(): Promise<DecoderPair> {
    const [grammar, phones] = await Promise.allSettled([this.openGrammar(), this.openPhones()]);
    if (grammar.status === 'fulfilled' && phones.status === 'fulfilled') {
      return { grammar: grammar.value, phones: phones.value, holds: { kind: 'commands', version: -1 } };
    }
    for (const r of [grammar, phones]) if (r.status === 'fulfilled') await r.value.close();
    const failed: unknown = grammar.status === 'rejected' ? grammar.reason : (phones as PromiseRejectedResult).reason;
    throw failed instanceof Error ? failed : new Error(String(failed));
  }
}

async function closePair(p: DecoderPair): Promise<void> {
  await Promise.all([p.grammar.close(), p.phones.close()]);
}

export interface StreamOptions {
  /** trimSilence's options, applied as the audio arrives (StreamTrim); null feeds everything */
  trim: TrimOptions | null;
  /**
   * the engine's gates: all = every sample of the stream, fed = what the decoders saw (before the
   * noise floor), segments = the grammar decoder's best path (fillers and garbage included)
   */
  judge(
    all: Int16Array,
    fed: Int16Array,
    g: Hypothesis,
    segments: WordSegment[],
    p: Hypothesis,
    timing: Record<string, number>,
  ): Promise<SttRecognition>;
  release(broken: boolean): Promise<void>;
}

/**
 * One streamed utterance on a decoder pair: ps_start_utt on both decoders at once, each piece the
 * trim lets through goes to both (ps_process_raw full_utt=0, each decoder on its own thread, the two
 * in parallel), and finish() ends both (ps_end_utt) and judges the result with the engine's gates.
 * The decoders' work happens while the user is still speaking; finish() only has the frames still
 * buffered left to search.
 */
export class PocketsphinxStream implements SttStream {
  private readonly trim: StreamTrim | null;
  /** the decoders hear the audio with the noise floor added (noiseFloor.ts), as recognize() decodes it */
  private readonly noise = new NoiseFloor();
  /** every sample fed to the decoders, for the narrowband gate */
  private fed: Int16Array[] = [];
  private all: Int16Array[] = [];
  private done = false;

  private constructor(
    private readonly pair: DecoderPair,
    private readonly opts: StreamOptions,
  ) {
    this.trim = opts.trim ? new StreamTrim(16000, opts.trim) : null;
  }

  /** ps_start_utt on both decoders; on a failure the pair is given back as broken. */
  static async start(pair: DecoderPair, opts: StreamOptions): Promise<PocketsphinxStream> {
    try {
      await Promise.all([pair.grammar.startUtt(), pair.phones.startUtt()]);
    } catch (e) {
      await opts.release(true);
      throw e;
    }
    return new PocketsphinxStream(pair, opts);
  }

  async feed(pcm16k: Int16Array): Promise<void> {
    if (this.done) throw new AliciaError('STT_ENGINE_FAILED', 'the stream has ended');
    if (this.trim) await this.decode(this.trim.push(pcm16k));
    else {
      this.all.push(pcm16k);
      await this.decode(pcm16k);
    }
  }

  async finish(): Promise<SttRecognition> {
    if (this.done) throw new AliciaError('STT_ENGINE_FAILED', 'the stream has ended');
    let closed = false;
    try {
      if (this.trim) await this.decode(this.trim.finish());
      const t0 = performance.now();
      // the calls queue in order on each decoder: sent at once, both decoders in parallel
      const { grammar, phones } = this.pair;
      const [, g, segments, , p] = await Promise.all([grammar.endUtt(), grammar.hyp(), grammar.segments(), phones.endUtt(), phones.hyp()]);
      const all = this.trim ? this.trim.audio.slice() : concatPcm(this.all);
      const fed = concatPcm(this.fed);
      // the decoders are free again before the verdict (which may decode the audio once more)
      await this.close(false);
      closed = true;
      return await this.opts.judge(all, fed, g, segments, p, { end_utt_ms: Math.round((performance.now() - t0) * 10) / 10 });
    } catch (e) {
      if (!closed) await this.close(true);
      throw e;
    }
  }

  abort(): void {
    if (this.done) return;
    this.done = true;
    this.fed = [];
    this.all = [];
    // ending the utterance leaves the decoders ready for the next stream
    void Promise.all([this.pair.grammar.endUtt(), this.pair.phones.endUtt()]).then(
      () => this.opts.release(false),
      () => this.opts.release(true),
    );
  }

  private async decode(pcm: Int16Array): Promise<void> {
    if (pcm.length === 0) return;
    this.fed.push(pcm);
    const heard = this.noise.add(pcm);
    try {
      await Promise.all([this.pair.grammar.processRaw(heard, false), this.pair.phones.processRaw(heard, false)]);
    } catch (e) {
      await this.close(true);
      throw e;
    }
  }

  private async close(broken: boolean): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.fed = [];
    this.all = [];
    await this.opts.release(broken);
  }
}
