import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AliciaError } from '../lib/protocol/errors.js';
import type { Pointer, PocketsphinxLib } from './pocketsphinxLib.js';

/** One word of the best path (ps_seg_iter), with its scores (ps_seg_prob). */
export interface WordSegment {
  /** the dictionary word, "(2)" for an alternative pronunciation; fillers (<sil>, garbage phones) included */
  word: string;
  /** first and last frame (10 ms), inclusive */
  startFrame: number;
  endFrame: number;
  /** log posterior probability (0 = certain; needs -bestpath yes and a finished utterance) */
  prob: number;
  ascr: number;
  lscr: number;
  lback: number;
}

/** A self-loop of an FSG that the search must treat as a filler word (see setFsg). */
export interface FsgFiller {
  word: string;
  state: number;
  prob: number;
}

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

  /**
   * A grammar in pocketsphinx's FSG text format (fsg_model_read), which unlike JSGF can share
   * states. `fillers` are self-loops the text has that the search must treat as fillers (no
   * cross-word context, left out of the hypothesis string, kept in segments()): the text format
   * cannot say so, fsg_model_add_silence marks them (keeping their probability). With any marked,
   * -fsgusefiller adds nothing, so the text must carry its own <sil> loops.
   */
  setFsg(fsg: string, fillers: readonly FsgFiller[]): Promise<void> {
    const ps = this.handle();
    const dir = mkdtempSync(join(tmpdir(), 'alicia-fsg-'));
    try {
      const path = join(dir, 'grammar.fsg');
      writeFileSync(path, fsg);
      const model = this.lib.fsg_model_readfile(path, this.lib.ps_get_logmath(ps), this.lib.cmd_ln_float_r(this.lib.ps_get_config(ps), '-lw'));
      if (!model) throw new AliciaError('STT_ENGINE_FAILED', 'pocketsphinx rejected the FSG grammar');
      for (const f of fillers) this.lib.fsg_model_add_silence(model, f.word, f.state, f.prob);
      // ps_set_fsg keeps a reference of its own
      const rc = this.lib.ps_set_fsg(ps, this.search, model);
      this.lib.fsg_model_free(model);
      if (rc < 0) throw new AliciaError('STT_ENGINE_FAILED', 'pocketsphinx could not use the FSG grammar (a word missing from the dictionary?)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    this.select();
    return Promise.resolve();
  }

  /** Pronunciations the dictionary lacks (ps_add_word), e.g. [{ word: '~light', phones: 'L AY T' }]. */
  addWords(words: ReadonlyArray<{ word: string; phones: string }>): Promise<void> {
    const ps = this.handle();
    // the search is rebuilt once, with the last word
    words.forEach((w, i) => {
      if (this.lib.ps_add_word(ps, w.word, w.phones, i === words.length - 1 ? 1 : 0) < 0)
        throw new AliciaError('STT_ENGINE_FAILED', `pocketsphinx refused the word ${w.word} (${w.phones})`);
    });
    return Promise.resolve();
  }

  /** Keyword spotting for `phrase` (ps_set_keyphrase); `threshold` is -kws_threshold (e.g. 1e-20). */
  setKeyphrase(phrase: string, threshold: number): Promise<void> {
    const ps = this.handle();
    // the kws search reads -kws_threshold from the decoder's configuration when it is created
    this.lib.cmd_ln_set_float_r(this.lib.ps_get_config(ps), '-kws_threshold', threshold);
    if (this.lib.ps_set_keyphrase(ps, this.search, phrase) < 0)
      throw new AliciaError('STT_ENGINE_FAILED', `pocketsphinx rejected the keyphrase "${phrase}"`);
    this.select();
    return Promise.resolve();
  }

  startUtt(): Promise<void> {
    if (this.lib.ps_start_utt(this.handle()) < 0) throw new AliciaError('STT_ENGINE_FAILED', 'pocketsphinx could not start an utterance');
    return Promise.resolve();
  }

  /** The next samples of the utterance (fullUtt: they are all of it); resolves with the frames searched so far. */
  async processRaw(pcm: Int16Array, fullUtt = false): Promise<number> {
    const ps = this.handle();
    const rc = await new Promise<number>((resolve, reject) => {
      this.lib.ps_process_raw.async(ps, pcm, pcm.length, 0, fullUtt ? 1 : 0, (err: unknown, res: number) =>
        err ? reject(err instanceof Error ? err : new Error('ps_process_raw failed')) : resolve(res),
      );
    });
    if (rc < 0) throw new AliciaError('STT_ENGINE_FAILED', 'pocketsphinx failed to process the audio');
    return this.lib.ps_get_n_frames(ps);
  }

  endUtt(): Promise<void> {
    if (this.lib.ps_end_utt(this.handle()) < 0) throw new AliciaError('STT_ENGINE_FAILED', 'pocketsphinx could not end the utterance');
    return Promise.resolve();
  }

  hyp(): Promise<DecodeResult> {
    const ps = this.handle();
    const score = [0];
    const hyp = this.lib.ps_get_hyp(ps, score);
    return Promise.resolve({ hyp, score: score[0] ?? 0, frames: this.lib.ps_get_n_frames(ps) });
  }

  /** The best path's words with their scores. */
  segments(): Promise<WordSegment[]> {
    const lib = this.lib;
    const out: WordSegment[] = [];
    // ps_seg_next frees the iterator when it returns NULL, so walking to the end leaks nothing
    for (let seg = lib.ps_seg_iter(this.handle()); seg; seg = lib.ps_seg_next(seg)) {
      const [sf, ef, ascr, lscr, lback] = [[0], [0], [0], [0], [0]];
      lib.ps_seg_frames(seg, sf, ef);
      const prob = lib.ps_seg_prob(seg, ascr, lscr, lback);
      out.push({ word: lib.ps_seg_word(seg) ?? '', startFrame: sf[0]!, endFrame: ef[0]!, prob, ascr: ascr[0]!, lscr: lscr[0]!, lback: lback[0]! });
    }
    return Promise.resolve(out);
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
