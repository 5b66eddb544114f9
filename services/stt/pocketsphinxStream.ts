import { AliciaError } from '../lib/protocol/errors.js';
import type { DecodeResult, PocketsphinxDecoder } from './pocketsphinxDecoder.js';
import type { GrammarKind, SttRecognition, SttStream } from './sttEngine.js';

/** The search of the answers grammar on a stream pair's grammar decoder. */
export const ANSWER_SEARCH = 'alicia_answers';
import { StreamTrim } from './streamTrim.js';
import type { TrimOptions } from './trimSilence.js';

/** The grammar and phone-loop decoders of one streamed utterance. */
export interface DecoderPair {
  grammar: PocketsphinxDecoder;
  phones: PocketsphinxDecoder;
  /** the grammar version this pair's grammar decoder holds */
  version: number;
}

/**
 * Decoder pairs for streams, kept for the life of the engine and reused: one pair per live stream
 * (a decoder holds one utterance at a time), opened when more streams run at once than ever before
 * (ps_init ~175 ms per decoder). The whole-utterance decoders never stream (pocketsphinxDecoder.ts,
 * startUtt). A grammar change reaches idle pairs at once and busy ones when they come back.
 */
export class StreamDecoderPool {
  private readonly idle: DecoderPair[] = [];
  private readonly busy = new Set<DecoderPair>();
  private jsgf: string | null = null;
  private answers: string | null = null;
  private version = 0;

  constructor(
    private readonly openGrammar: () => PocketsphinxDecoder,
    private readonly openPhones: () => PocketsphinxDecoder,
  ) {}

  /** pairs open (idle + busy): at most the most streams that ever ran at once */
  get size(): number {
    return this.idle.length + this.busy.size;
  }

  setJsgf(jsgf: string, kind: GrammarKind = 'commands'): void {
    if (kind === 'answers') this.answers = jsgf;
    else this.jsgf = jsgf;
    this.version++;
    for (const p of this.idle) this.update(p);
  }

  /** The grammar a stream listens with: the command grammar, or only the answers to a question. */
  hasAnswers(): boolean {
    return this.answers !== null;
  }

  /** Open pairs ahead of need (ps_init blocks the thread ~0.35 s per pair: better at start than on a first chunk). */
  warm(n: number): void {
    while (this.size < n) this.idle.push(this.open());
    for (const p of this.idle) this.update(p);
  }

  acquire(kind: GrammarKind = 'commands'): DecoderPair {
    const pair = this.idle.pop() ?? this.open();
    this.update(pair);
    pair.grammar.useSearch(kind === 'answers' ? ANSWER_SEARCH : pair.grammar.searchName);
    this.busy.add(pair);
    return pair;
  }

  /** Back to the pool; a pair whose utterance failed half-way is closed rather than reused. */
  release(pair: DecoderPair, broken: boolean): void {
    if (!this.busy.delete(pair)) return;
    if (broken) {
      pair.grammar.close();
      pair.phones.close();
      return;
    }
    this.update(pair);
    this.idle.push(pair);
  }

  /** Close every pair; streams still running fail with STT_ENGINE_MISSING on their next call. */
  close(): void {
    for (const p of [...this.idle, ...this.busy]) {
      p.grammar.close();
      p.phones.close();
    }
    this.idle.length = 0;
    this.busy.clear();
  }

  private open(): DecoderPair {
    const grammar = this.openGrammar();
    try {
      return { grammar, phones: this.openPhones(), version: -1 };
    } catch (e) {
      grammar.close();
      throw e;
    }
  }

  private update(p: DecoderPair): void {
    if (p.version === this.version) return;
    if (this.answers !== null) p.grammar.addJsgf(ANSWER_SEARCH, this.answers);
    if (this.jsgf !== null) p.grammar.setJsgf(this.jsgf);
    p.version = this.version;
  }
}

export interface StreamOptions {
  /** trimSilence's options, applied as the audio arrives (StreamTrim); null feeds everything */
  trim: TrimOptions | null;
  /** the engine's gates: all = every sample of the stream, fed = what the decoders saw */
  judge(all: Int16Array, fed: Int16Array, g: DecodeResult, p: DecodeResult, timing: Record<string, number>): Promise<SttRecognition>;
  release(broken: boolean): void;
}

/**
 * One streamed utterance on a decoder pair: ps_start_utt on both decoders at once, each piece the
 * trim lets through goes to both (ps_process_raw full_utt=0, on koffi's worker threads, the two
 * decoders in parallel), and finish() ends both (ps_end_utt) and judges the result with the engine's
 * gates. The decoders' work happens while the user is still speaking; finish() only has the frames
 * still buffered left to search.
 */
export class PocketsphinxStream implements SttStream {
  private readonly trim: StreamTrim | null;
  /** every sample fed to the decoders, for the narrowband gate */
  private fed: Int16Array[] = [];
  private all: Int16Array[] = [];
  private done = false;

  constructor(
    private readonly pair: DecoderPair,
    private readonly opts: StreamOptions,
  ) {
    this.trim = opts.trim ? new StreamTrim(16000, opts.trim) : null;
    try {
      pair.grammar.startUtt();
      pair.phones.startUtt();
    } catch (e) {
      this.done = true;
      opts.release(true);
      throw e;
    }
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
      const g = this.pair.grammar.endUtt();
      const p = this.pair.phones.endUtt();
      const all = this.trim ? this.trim.audio.slice() : concat(this.all);
      const fed = concat(this.fed);
      // the decoders are free again before the verdict (which may decode the audio once more)
      this.close(false);
      closed = true;
      return await this.opts.judge(all, fed, g, p, { end_utt_ms: Math.round((performance.now() - t0) * 10) / 10 });
    } catch (e) {
      if (!closed) this.close(true);
      throw e;
    }
  }

  abort(): void {
    if (this.done) return;
    // ending the utterance leaves the decoders ready for the next stream
    try {
      this.pair.grammar.endUtt();
      this.pair.phones.endUtt();
      this.close(false);
    } catch {
      this.close(true);
    }
  }

  private async decode(pcm: Int16Array): Promise<void> {
    if (pcm.length === 0) return;
    this.fed.push(pcm);
    try {
      await Promise.all([this.pair.grammar.processChunk(pcm), this.pair.phones.processChunk(pcm)]);
    } catch (e) {
      this.close(true);
      throw e;
    }
  }

  private close(broken: boolean): void {
    if (this.done) return;
    this.done = true;
    this.fed = [];
    this.all = [];
    this.opts.release(broken);
  }
}

function concat(parts: Int16Array[]): Int16Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Int16Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
