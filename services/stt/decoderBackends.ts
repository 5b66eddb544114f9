import { AliciaError } from '../lib/protocol/errors.js';
import type { DecoderBackend } from './decoder.js';
import { nativeBackend } from './nativeDecoder.js';
import { loadPocketsphinx } from './pocketsphinxLib.js';
import { wasmBackend } from './wasmDecoder.js';

/**
 * The stt config's `pocketsphinx.backend`:
 *  - "wasm" (default): the WebAssembly build that ships with the app, so every system behaves the same;
 *  - "native": the system's libpocketsphinx through koffi (Debian's libpocketsphinx3), a little faster;
 *  - "auto": native where the library loads, else wasm.
 */
export type BackendChoice = 'wasm' | 'native' | 'auto';

export function decoderBackend(choice: BackendChoice): DecoderBackend {
  switch (choice) {
    case 'wasm':
      return wasmBackend();
    case 'native':
      return nativeBackend;
    case 'auto':
      return nativeLoads() ? nativeBackend : wasmBackend();
  }
}

function nativeLoads(): boolean {
  try {
    loadPocketsphinx();
    return true;
  } catch (e) {
    if (e instanceof AliciaError && e.code === 'STT_ENGINE_MISSING') return false;
    throw e;
  }
}
