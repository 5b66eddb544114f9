import { createRequire } from 'node:module';
import type { LibraryHandle, load } from 'koffi';
import { AliciaError } from '../lib/protocol/errors.js';

/**
 * The pocketsphinx C library through koffi (no native addon to rebuild per Node/Electron ABI).
 * Debian 12 ships pocketsphinx "5prealpha" (0.8+5prealpha+1-15): the sphinxbase-era API
 * (/usr/include/pocketsphinx/pocketsphinx.h, ps_search.h): cmd_ln_parse_r + ps_init(config),
 * ps_set_jsgf_string / ps_set_allphone_file + ps_set_search, ps_start_utt / ps_process_raw /
 * ps_end_utt / ps_get_hyp. (Pocketsphinx 5.0 renamed these to ps_config_init etc.; not this one.)
 * The same calls the WebAssembly build makes (build/pocketsphinx-wasm/driver.c); nativeDecoder.ts uses them.
 */

/** An opaque C pointer as koffi hands it over (never dereferenced in JavaScript). */
export type Pointer = object | null;

interface AsyncFn {
  (...args: unknown[]): unknown;
  async: (...args: unknown[]) => void;
}

export interface PocketsphinxLib {
  ps_args: () => Pointer;
  cmd_ln_parse_r: (inout: Pointer, defn: Pointer, argc: number, argv: string[], strict: number) => Pointer;
  cmd_ln_free_r: (cfg: Pointer) => number;
  ps_init: (cfg: Pointer) => Pointer;
  ps_free: (ps: Pointer) => number;
  ps_set_jsgf_string: (ps: Pointer, name: string, jsgf: string) => number;
  ps_set_allphone_file: (ps: Pointer, name: string, path: string) => number;
  ps_set_search: (ps: Pointer, name: string) => number;
  ps_start_utt: (ps: Pointer) => number;
  ps_process_raw: AsyncFn;
  ps_end_utt: (ps: Pointer) => number;
  ps_get_hyp: (ps: Pointer, score: number[]) => string | null;
  ps_get_n_frames: (ps: Pointer) => number;
  ps_get_config: (ps: Pointer) => Pointer;
  cmd_ln_set_float_r: (cfg: Pointer, name: string, value: number) => void;
  ps_set_keyphrase: (ps: Pointer, name: string, phrase: string) => number;
  ps_get_prob: (ps: Pointer) => number;
  ps_seg_iter: (ps: Pointer) => Pointer;
  ps_seg_next: (seg: Pointer) => Pointer;
  ps_seg_word: (seg: Pointer) => string;
  ps_seg_frames: (seg: Pointer, sf: number[], ef: number[]) => void;
  ps_seg_prob: (seg: Pointer, ascr: number[], lscr: number[], lback: number[]) => number;
  err_set_logfp: (stream: Pointer) => void;
  // words the dictionary lacks (the garbage vocabulary)
  ps_add_word: (ps: Pointer, word: string, phones: string, update: number) => number;
  // a finite-state grammar from pocketsphinx's FSG text format (null transitions, shared states)
  cmd_ln_float_r: (cfg: Pointer, name: string) => number;
  ps_get_logmath: (ps: Pointer) => Pointer;
  fsg_model_readfile: (path: string, lmath: Pointer, lw: number) => Pointer;
  fsg_model_free: (fsg: Pointer) => number;
  fsg_model_add_silence: (fsg: Pointer, word: string, state: number, prob: number) => number;
  ps_set_fsg: (ps: Pointer, name: string, fsg: Pointer) => number;
}

const LIB_NAMES = {
  sphinxbase: ['libsphinxbase.so.3', 'libsphinxbase.so'],
  pocketsphinx: ['libpocketsphinx.so.3', 'libpocketsphinx.so'],
};

/**
 * koffi itself (its native addon, ~3 MB resident) is loaded on first use, not on import: the stt service
 * imports this file for the optional native backend and, with the default WebAssembly one, never calls it.
 */
function koffiLoad(): typeof load {
  return (createRequire(import.meta.url)('koffi') as { load: typeof load }).load;
}

function loadFirst(names: string[]): LibraryHandle {
  const loadLibrary = koffiLoad();
  let last: unknown;
  for (const n of names) {
    try {
      return loadLibrary(n);
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

let cached: PocketsphinxLib | undefined;

/** Load the libraries once per process; STT_ENGINE_MISSING (with the install hint) when absent. */
export function loadPocketsphinx(): PocketsphinxLib {
  if (cached) return cached;
  let sb: LibraryHandle;
  let ps: LibraryHandle;
  try {
    sb = loadFirst(LIB_NAMES.sphinxbase);
    ps = loadFirst(LIB_NAMES.pocketsphinx);
  } catch (e) {
    throw new AliciaError(
      'STT_ENGINE_MISSING',
      `the pocketsphinx library is not installed (${(e as Error).message}); install the Debian package libpocketsphinx3, or use the built-in backend (stt config pocketsphinx.backend "wasm")`,
    );
  }
  cached = {
    ps_args: ps.func('void *ps_args()') as PocketsphinxLib['ps_args'],
    cmd_ln_parse_r: sb.func(
      'void *cmd_ln_parse_r(void *inout, void *defn, int argc, const char **argv, int strict)',
    ) as PocketsphinxLib['cmd_ln_parse_r'],
    cmd_ln_free_r: sb.func('int cmd_ln_free_r(void *cfg)') as PocketsphinxLib['cmd_ln_free_r'],
    ps_init: ps.func('void *ps_init(void *config)') as PocketsphinxLib['ps_init'],
    ps_free: ps.func('int ps_free(void *ps)') as PocketsphinxLib['ps_free'],
    ps_set_jsgf_string: ps.func(
      'int ps_set_jsgf_string(void *ps, const char *name, const char *jsgf)',
    ) as PocketsphinxLib['ps_set_jsgf_string'],
    ps_set_allphone_file: ps.func(
      'int ps_set_allphone_file(void *ps, const char *name, const char *path)',
    ) as PocketsphinxLib['ps_set_allphone_file'],
    ps_set_search: ps.func('int ps_set_search(void *ps, const char *name)') as PocketsphinxLib['ps_set_search'],
    ps_start_utt: ps.func('int ps_start_utt(void *ps)') as PocketsphinxLib['ps_start_utt'],
    ps_process_raw: ps.func(
      'int ps_process_raw(void *ps, const int16_t *data, size_t n, int no_search, int full_utt)',
    ) as unknown as AsyncFn,
    ps_end_utt: ps.func('int ps_end_utt(void *ps)') as PocketsphinxLib['ps_end_utt'],
    ps_get_hyp: ps.func('const char *ps_get_hyp(void *ps, _Out_ int32_t *score)') as PocketsphinxLib['ps_get_hyp'],
    ps_get_n_frames: ps.func('int ps_get_n_frames(void *ps)') as PocketsphinxLib['ps_get_n_frames'],
    ps_get_config: ps.func('void *ps_get_config(void *ps)') as PocketsphinxLib['ps_get_config'],
    cmd_ln_set_float_r: sb.func(
      'void cmd_ln_set_float_r(void *cfg, const char *name, double value)',
    ) as PocketsphinxLib['cmd_ln_set_float_r'],
    ps_set_keyphrase: ps.func(
      'int ps_set_keyphrase(void *ps, const char *name, const char *keyphrase)',
    ) as PocketsphinxLib['ps_set_keyphrase'],
    ps_get_prob: ps.func('int32_t ps_get_prob(void *ps)') as PocketsphinxLib['ps_get_prob'],
    ps_seg_iter: ps.func('void *ps_seg_iter(void *ps)') as PocketsphinxLib['ps_seg_iter'],
    ps_seg_next: ps.func('void *ps_seg_next(void *seg)') as PocketsphinxLib['ps_seg_next'],
    ps_seg_word: ps.func('const char *ps_seg_word(void *seg)') as PocketsphinxLib['ps_seg_word'],
    ps_seg_frames: ps.func('void ps_seg_frames(void *seg, _Out_ int *sf, _Out_ int *ef)') as PocketsphinxLib['ps_seg_frames'],
    ps_seg_prob: ps.func(
      'int32_t ps_seg_prob(void *seg, _Out_ int32_t *ascr, _Out_ int32_t *lscr, _Out_ int32_t *lback)',
    ) as PocketsphinxLib['ps_seg_prob'],
    err_set_logfp: sb.func('void err_set_logfp(void *stream)') as PocketsphinxLib['err_set_logfp'],
    ps_add_word: ps.func('int ps_add_word(void *ps, const char *word, const char *phones, int update)') as PocketsphinxLib['ps_add_word'],
    cmd_ln_float_r: sb.func('double cmd_ln_float_r(void *cfg, const char *name)') as PocketsphinxLib['cmd_ln_float_r'],
    ps_get_logmath: ps.func('void *ps_get_logmath(void *ps)') as PocketsphinxLib['ps_get_logmath'],
    fsg_model_readfile: sb.func(
      'void *fsg_model_readfile(const char *file, void *lmath, float lw)',
    ) as PocketsphinxLib['fsg_model_readfile'],
    fsg_model_free: sb.func('int fsg_model_free(void *fsg)') as PocketsphinxLib['fsg_model_free'],
    fsg_model_add_silence: sb.func(
      'int fsg_model_add_silence(void *fsg, const char *silword, int state, float silprob)',
    ) as PocketsphinxLib['fsg_model_add_silence'],
    ps_set_fsg: ps.func('int ps_set_fsg(void *ps, const char *name, void *fsg)') as PocketsphinxLib['ps_set_fsg'],
  };
  // pocketsphinx logs hundreds of lines per utterance to stderr; the log stream is process-wide
  // (sphinxbase err.c), so it is turned off once, here, before any decoder exists.
  cached.err_set_logfp(null);
  return cached;
}

/** Whether the system library loads here (the native backend can run). */
export function pocketsphinxLoads(): boolean {
  try {
    loadPocketsphinx();
    return true;
  } catch (e) {
    if (e instanceof AliciaError && e.code === 'STT_ENGINE_MISSING') return false;
    throw e;
  }
}
