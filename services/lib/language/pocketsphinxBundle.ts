import { existsSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AliciaError } from '../protocol/errors.js';

/**
 * The speech recogniser that ships with the app, in resources/pocketsphinx/ (made by
 * build/pocketsphinx-wasm/build.sh from Debian's source packages): pocketsphinx compiled to
 * WebAssembly and the US English model the stt engine and the grammar's dictionary check read.
 */
export interface PocketsphinxBundle {
  dir: string;
  /** Emscripten's CommonJS glue; it loads pocketsphinx.wasm from its own folder */
  glue: string;
  wasm: string;
  /** acoustic model folder (-hmm) */
  hmm: string;
  /** CMU pronunciation dictionary (-dict) */
  dict: string;
  /** phone language model of the rejection pass's phone loop */
  phoneLm: string;
}

/**
 * Found by walking up from this file: from source (services/lib/language/) and from the build
 * (dist/services/lib/language/) it is three or four levels up. In a packaged app that walk ends
 * inside app.asar, whose resources/pocketsphinx/ electron-builder unpacks (asarUnpack) to
 * app.asar.unpacked: the WASM worker and the native library read these files by path, and neither
 * can read inside the archive, so the unpacked copy is the one returned.
 */
export function pocketsphinxBundle(from = dirname(fileURLToPath(import.meta.url))): PocketsphinxBundle {
  let dir = resolve(from);
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'resources', 'pocketsphinx');
    if (existsSync(join(candidate, 'pocketsphinx.wasm'))) return bundleAt(unpacked(candidate));
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new AliciaError('STT_ENGINE_MISSING', `the bundled speech recogniser (resources/pocketsphinx) is missing above ${from}`);
}

function bundleAt(dir: string): PocketsphinxBundle {
  const model = join(dir, 'model', 'en-us');
  return {
    dir,
    glue: join(dir, 'pocketsphinx.cjs'),
    wasm: join(dir, 'pocketsphinx.wasm'),
    hmm: join(model, 'en-us'),
    dict: join(model, 'cmudict-en-us.dict'),
    phoneLm: join(model, 'en-us-phone.lm.bin'),
  };
}

/** <app>/resources/app.asar/resources/pocketsphinx -> <app>/resources/app.asar.unpacked/resources/pocketsphinx */
export function unpacked(path: string): string {
  const marker = `${sep}app.asar${sep}`;
  const at = path.indexOf(marker);
  if (at < 0) return path;
  const outside = path.slice(0, at) + `${sep}app.asar.unpacked${sep}` + path.slice(at + marker.length);
  return existsSync(outside) ? outside : path;
}
