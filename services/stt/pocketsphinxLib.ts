import koffi from 'koffi';
import type { LibraryHandle } from 'koffi';
import { AliciaError } from '../lib/protocol/errors.js';

/**
 * The pocketsphinx C library through koffi (no native addon to rebuild per Node/Electron ABI).
 * Debian 12 ships pocketsphinx "5prealpha" (0.8+5prealpha+1-15): the sphinxbase-era API
 * (/usr/include/pocketsphinx/pocketsphinx.h, ps_search.h): cmd_ln_parse_r + ps_init(config),
 * ps_set_jsgf_string / ps_set_allphone_file + ps_set_search, ps_start_utt / ps_process_raw /
 * ps_end_utt / ps_get_hyp. (Pocketsphinx 5.0 renamed these to ps_config_init etc.; not this one.)
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
}

const LIB_NAMES = {
  sphinxbase: ['libsphinxbase.so.3', 'libsphinxbase.so'],
  pocketsphinx: ['libpocketsphinx.so.3', 'libpocketsphinx.so'],
};

function loadFirst(names: string[]): LibraryHandle {
  let last: unknown;
  for (const n of names) {
    try {
      return koffi.load(n);
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
      `pocketsphinx is not installed (${(e as Error).message}); install the Debian packages pocketsphinx, pocketsphinx-en-us and libpocketsphinx-dev`,
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
  };
  return cached;
}
