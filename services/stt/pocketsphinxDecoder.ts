import { AliciaError } from '../lib/protocol/errors.js';
import type { Pointer, PocketsphinxLib } from './pocketsphinxLib.js';

/** What one pass over an utterance gives back. */
export interface DecodeResult {
  hyp: string | null;
  /** path score (log domain, pocketsphinx's integer units) */
  score: number;
  frames: number;
}

/**
 * One pocketsphinx decoder (ps_decoder_t) with one search. The engine keeps two for its life: the
 * grammar and the phone loop, each with its own beams, so both can run at once on koffi's worker
 * threads (a decoder is not re-entrant, two decoders share nothing but the process-wide log file).
 */
export class PocketsphinxDecoder {
  private constructor(
    private readonly lib: PocketsphinxLib,
    private ps: Pointer | undefined,
    private config: Pointer | undefined,
    private readonly search: string,
  ) {}

  /** This decoder's own search (set by setJsgf / setPhoneLoop). */
  get searchName(): string {
    return this.search;
  }

  /** ps_init with `argv` (~175 ms on a 2-core machine); STT_ENGINE_FAILED when pocketsphinx refuses it. */
  static open(lib: PocketsphinxLib, argv: string[], search: string): PocketsphinxDecoder {
    const config = lib.cmd_ln_parse_r(null, lib.ps_args(), argv.length, argv, 1);
    if (!config) throw new AliciaError('STT_ENGINE_FAILED', `pocketsphinx rejected its configuration (${argv.join(' ')})`);
    const ps = lib.ps_init(config);
    if (!ps) {
      lib.cmd_ln_free_r(config);
      throw new AliciaError('STT_ENGINE_FAILED', 'pocketsphinx could not load its acoustic model or dictionary');
    }
    return new PocketsphinxDecoder(lib, ps, config, search);
  }

  /** ps_set_jsgf_string: replaces the search of the same name; on a parse error the old one stays. */
  setJsgf(jsgf: string): void {
    if (this.lib.ps_set_jsgf_string(this.handle(), this.search, jsgf) < 0)
      throw new AliciaError('STT_ENGINE_FAILED', 'pocketsphinx rejected the JSGF grammar');
    this.select();
  }

  /** A second JSGF search on this decoder, used after select(name) (the stream decoders' answer grammar). */
  addJsgf(name: string, jsgf: string): void {
    if (this.lib.ps_set_jsgf_string(this.handle(), name, jsgf) < 0)
      throw new AliciaError('STT_ENGINE_FAILED', `pocketsphinx rejected the JSGF grammar ${name}`);
  }

  /** Make `name` (this decoder's own search, or one added by addJsgf) the active search. */
  useSearch(name: string): void {
    if (this.lib.ps_set_search(this.handle(), name) < 0) throw new AliciaError('STT_ENGINE_FAILED', `pocketsphinx has no search ${name}`);
  }

  /** ps_set_allphone_file: a free phone loop weighted by the phone language model. */
  setPhoneLoop(phoneLm: string): void {
    if (this.lib.ps_set_allphone_file(this.handle(), this.search, phoneLm) < 0)
      throw new AliciaError('STT_ENGINE_FAILED', `pocketsphinx could not load the phone model ${phoneLm}`);
    this.select();
  }

  /**
   * Decode a whole utterance. The heavy call (feature extraction, acoustic scoring and search:
   * ps_process_raw with full_utt=1) runs on koffi's worker thread so the service keeps answering
   * heartbeats; the caller guarantees nothing else uses this decoder meanwhile.
   */
  async decode(pcm: Int16Array): Promise<DecodeResult> {
    const ps = this.handle();
    if (this.lib.ps_start_utt(ps) < 0) throw new AliciaError('STT_ENGINE_FAILED', 'pocketsphinx could not start an utterance');
    const rc = await new Promise<number>((resolve, reject) => {
      this.lib.ps_process_raw.async(ps, pcm, pcm.length, 0, 1, (err: unknown, res: number) =>
        err ? reject(err instanceof Error ? err : new Error('ps_process_raw failed')) : resolve(res),
      );
    });
    this.lib.ps_end_utt(ps);
    if (rc < 0) throw new AliciaError('STT_ENGINE_FAILED', 'pocketsphinx failed to process the audio');
    const score = [0];
    const hyp = this.lib.ps_get_hyp(ps, score);
    return { hyp, score: score[0] ?? 0, frames: this.lib.ps_get_n_frames(ps) };
  }

  /**
   * Incremental decoding, for streamed audio: startUtt() once, processChunk() for each piece as it
   * arrives (ps_process_raw with full_utt=0: features, acoustic scores and search run on what has
   * arrived), endUtt() at the end, which decodes only the frames still buffered and returns the same
   * DecodeResult as decode(). Note that sphinxbase switches a decoder's cepstral mean normalisation
   * from "current" (the whole utterance's mean) to "live" (a running estimate) for good at its
   * first full_utt=0 call (feat.c, feat_cmn): a decoder used for streams must not also decode whole
   * utterances, or those would change too.
   */
  startUtt(): void {
    if (this.lib.ps_start_utt(this.handle()) < 0) throw new AliciaError('STT_ENGINE_FAILED', 'pocketsphinx could not start an utterance');
  }

  /** One piece of a streamed utterance, on koffi's worker thread; the caller awaits each before the next. */
  async processChunk(pcm: Int16Array): Promise<void> {
    if (pcm.length === 0) return;
    const ps = this.handle();
    const rc = await new Promise<number>((resolve, reject) => {
      this.lib.ps_process_raw.async(ps, pcm, pcm.length, 0, 0, (err: unknown, res: number) =>
        err ? reject(err instanceof Error ? err : new Error('ps_process_raw failed')) : resolve(res),
      );
    });
    if (rc < 0) throw new AliciaError('STT_ENGINE_FAILED', 'pocketsphinx failed to process the audio');
  }

  /** End a streamed utterance (ps_end_utt finishes the search on the frames left) and read its hypothesis. */
  endUtt(): DecodeResult {
    const ps = this.handle();
    if (this.lib.ps_end_utt(ps) < 0) throw new AliciaError('STT_ENGINE_FAILED', 'pocketsphinx could not end the utterance');
    const score = [0];
    const hyp = this.lib.ps_get_hyp(ps, score);
    return { hyp, score: score[0] ?? 0, frames: this.lib.ps_get_n_frames(ps) };
  }

  /** Release the decoder; can run twice. */
  close(): void {
    if (this.ps) this.lib.ps_free(this.ps);
    if (this.config) this.lib.cmd_ln_free_r(this.config);
    this.ps = undefined;
    this.config = undefined;
  }

  private select(): void {
    if (this.lib.ps_set_search(this.handle(), this.search) < 0)
      throw new AliciaError('STT_ENGINE_FAILED', `pocketsphinx has no search ${this.search}`);
  }

  private handle(): Pointer {
    if (!this.ps) throw new AliciaError('STT_ENGINE_MISSING', 'the pocketsphinx decoder is closed');
    return this.ps;
  }
}
