import { decoderSuite } from './testing/decoderSuite.js';
import { wasmBackend } from './wasmDecoder.js';

decoderSuite('WebAssembly build in a worker thread', () => wasmBackend());
