import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AliciaError } from '../lib/protocol/errors.js';
import type { Decoder, DecoderBackend, FsgFiller, Hypothesis, WordSegment } from './decoder.js';
import { loadPocketsphinx } from './pocketsphinxLib.js';
import type { Pointer, PocketsphinxLib } from './pocketsphinxLib.js';

/**
 * The system's pocketsphinx C library (Debian's libpocketsphinx3) through koffi: the optional
 * backend, where the library is installed. The heavy call (ps_process_raw: feature extraction,
 * acoustic scoring, search) runs on koffi's worker thread so the service keeps answering heartbeats;
 * the others are short and run inline. Two decoders share nothing but the process-wide log stream,
 * so the grammar and the phone loop can decode at the same time.
 */
export const nativeBackend: DecoderBackend = {
  name: 'native',
  open(argv, search) {
    try {
      return Promise.resolve(NativeDecoder.open(loadPocketsphinx(), argv, search));
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  },
};

class NativeDecoder implements Decoder {
  /** every call waits for the one before (processRaw is asynchronous; the decoder is not re-entrant) */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly lib: PocketsphinxLib,
    private ps: Pointer | undefined,
    private config: Pointer | undefined,
    private readonly search: string,
  ) {}

  /** ps_init with `argv` (~175 ms on a 2-core machine). */
  static open(lib: PocketsphinxLib, argv: readonly string[], search: string): NativeDecoder {
    const config = lib.cmd_ln_parse_r(null, lib.ps_args(), argv.length, [...argv], 1);
    if (!config) throw new AliciaError('STT_ENGINE_FAILED', `pocketsphinx rejected its configuration (${argv.join(' ')})`);
    const ps = lib.ps_init(config);
    if (!ps) {
      lib.cmd_ln_free_r(config);
      throw new AliciaError('STT_ENGINE_FAILED', 'pocketsphinx could not load its acoustic model or dictionary');
    }
    return new NativeDecoder(lib, ps, config, search);
  }

  setJsgf(jsgf: string): Promise<void> {
    return this.serial((ps) => {
      if (this.lib.ps_set_jsgf_string(ps, this.search, jsgf) < 0)
        throw new AliciaError('STT_ENGINE_FAILED', 'pocketsphinx rejected the JSGF grammar');
      this.select(ps);
    });
  }

  setFsg(fsg: string, fillers: readonly FsgFiller[]): Promise<void> {
    return this.serial((ps) => {
      // pocketsphinx reads FSGs from files only
      const dir = mkdtempSync(join(tmpdir(), 'alicia-fsg-'));
      try {
        const path = join(dir, 'grammar.fsg');
        writeFileSync(path, fsg);
        const model = this.lib.fsg_model_readfile(
          path,
          this.lib.ps_get_logmath(ps),
          this.lib.cmd_ln_float_r(this.lib.ps_get_config(ps), '-lw'),
        );
        if (!model) throw new AliciaError('STT_ENGINE_FAILED', 'pocketsphinx rejected the FSG grammar');
        for (const f of fillers) this.lib.fsg_model_add_silence(model, f.word, f.state, f.prob);
        // ps_set_fsg keeps a reference of its own
        const rc = this.lib.ps_set_fsg(ps, this.search, model);
        this.lib.fsg_model_free(model);
        if (rc < 0)
          throw new AliciaError('STT_ENGINE_FAILED', 'pocketsphinx rejected the FSG grammar (a word missing from the dictionary?)');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      this.select(ps);
    });
  }

  addWords(words: ReadonlyArray<{ word: string; phones: string }>): Promise<void> {
    return this.serial((ps) => {
      // the search is rebuilt once, with the last word
      words.forEach((w, i) => {
        if (this.lib.ps_add_word(ps, w.word, w.phones, i === words.length - 1 ? 1 : 0) < 0)
          throw new AliciaError('STT_ENGINE_FAILED', `pocketsphinx refused the word ${w.word} (${w.phones})`);
      });
    });
  }

  setPhoneLoop(phoneLm: string): Promise<void> {
    return this.serial((ps) => {
      if (this.lib.ps_set_allphone_file(ps, this.search, phoneLm) < 0)
        throw new AliciaError('STT_ENGINE_FAILED', `pocketsphinx could not load the phone model ${phoneLm}`);
      this.select(ps);
    });
  }

  setKeyphrase(phrase: string, threshold: number): Promise<void> {
    return this.serial((ps) => {
      // the kws search reads -kws_threshold from the decoder's configuration when it is created
      this.lib.cmd_ln_set_float_r(this.lib.ps_get_config(ps), '-kws_threshold', threshold);
      if (this.lib.ps_set_keyphrase(ps, this.search, phrase) < 0)
        throw new AliciaError('STT_ENGINE_FAILED', `pocketsphinx rejected the keyphrase "${phrase}"`);
      this.select(ps);
    });
  }

  startUtt(): Promise<void> {
    return this.serial((ps) => {
      if (this.lib.ps_start_utt(ps) < 0) throw new AliciaError('STT_ENGINE_FAILED', 'pocketsphinx could not start an utterance');
    });
  }

  processRaw(pcm: Int16Array, fullUtt = false): Promise<number> {
    return this.serial(async (ps) => {
      const rc = await new Promise<number>((resolve, reject) => {
        this.lib.ps_process_raw.async(ps, pcm, pcm.length, 0, fullUtt ? 1 : 0, (err: unknown, res: number) =>
          err ? reject(err instanceof Error ? err : new Error('ps_process_raw failed')) : resolve(res),
        );
      });
      if (rc < 0) throw new AliciaError('STT_ENGINE_FAILED', 'pocketsphinx failed to process the audio');
      return this.lib.ps_get_n_frames(ps);
    });
  }

  endUtt(): Promise<void> {
    return this.serial((ps) => {
      if (this.lib.ps_end_utt(ps) < 0) throw new AliciaError('STT_ENGINE_FAILED', 'pocketsphinx could not end the utterance');
    });
  }

  hyp(): Promise<Hypothesis> {
    return this.serial((ps) => {
      const score = [0];
      const hyp = this.lib.ps_get_hyp(ps, score);
      return { hyp, score: score[0] ?? 0, frames: this.lib.ps_get_n_frames(ps) };
    });
  }

  segments(): Promise<WordSegment[]> {
    return this.serial((ps) => {
      const out: WordSegment[] = [];
      // ps_seg_next frees the iterator when it returns NULL, so walking to the end leaks nothing
      for (let seg = this.lib.ps_seg_iter(ps); seg; seg = this.lib.ps_seg_next(seg)) {
        const sf = [0];
        const ef = [0];
        const ascr = [0];
        const lscr = [0];
        const lback = [0];
        this.lib.ps_seg_frames(seg, sf, ef);
        const prob = this.lib.ps_seg_prob(seg, ascr, lscr, lback);
        out.push({
          word: this.lib.ps_seg_word(seg),
          startFrame: sf[0] ?? 0,
          endFrame: ef[0] ?? 0,
          prob,
          ascr: ascr[0] ?? 0,
          lscr: lscr[0] ?? 0,
          lback: lback[0] ?? 0,
        });
      }
      return out;
    });
  }

  prob(): Promise<number> {
    return this.serial((ps) => this.lib.ps_get_prob(ps));
  }

  /** Release the decoder once the calls already made have finished; can run twice. */
  close(): Promise<void> {
    const run = this.queue.then(() => {
      if (this.ps) this.lib.ps_free(this.ps);
      if (this.config) this.lib.cmd_ln_free_r(this.config);
      this.ps = undefined;
      this.config = undefined;
    });
    this.queue = run;
    return run;
  }

  private select(ps: Pointer): void {
    if (this.lib.ps_set_search(ps, this.search) < 0)
      throw new AliciaError('STT_ENGINE_FAILED', `pocketsphinx has no search ${this.search}`);
  }

  private serial<T>(fn: (ps: Pointer) => T | Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      if (!this.ps) throw new AliciaError('STT_ENGINE_MISSING', 'the pocketsphinx decoder is closed');
      return fn(this.ps);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
