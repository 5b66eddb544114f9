import type { DecoderBackend } from './decoder.js';
import { nativeBackend } from './nativeDecoder.js';
import { pocketsphinxLoads } from './pocketsphinxLib.js';
import { wasmBackend } from './wasmDecoder.js';

/**
 * The stt config's `pocketsphinx.backend`:
 *  - "wasm" (default): the WebAssembly build that ships with the app, so every system behaves the same;
 *  - "native": the system's libpocketsphinx through koffi (Debian's libpocketsphinx3): loads faster, decodes at about the same cost;
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
      return pocketsphinxLoads() ? nativeBackend : wasmBackend();
  }
}
