import { AliciaError } from '../lib/protocol/errors.js';

/**
 * The WebRTC voice activity detector (libfvad, the VAD of Chromium's WebRTC stack) compiled to
 * WebAssembly, from npm (@echogarden/fvad-wasm): no native code, no download, same result on every
 * machine. The module's C API (libfvad's fvad.h): fvad_new, fvad_set_mode (0 = least aggressive ..
 * 3 = most: fewer non-speech frames called speech), fvad_set_sample_rate (8/16/32/48 kHz),
 * fvad_process(frame of 10, 20 or 30 ms) -> 1 speech, 0 not, -1 bad frame length.
 * One module instance per process (its heap holds every detector); one detector per stream.
 */
interface FvadModule {
  _fvad_new(): number;
  _fvad_free(h: number): void;
  _fvad_set_mode(h: number, mode: number): number;
  _fvad_set_sample_rate(h: number, rate: number): number;
  _fvad_process(h: number, frame: number, length: number): number;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  HEAP16: Int16Array;
}

const MODULE = '@echogarden/fvad-wasm';
let loading: Promise<FvadModule> | undefined;

function loadModule(): Promise<FvadModule> {
  loading ??= (async () => {
    try {
      // a specifier in a variable: the package ships no type declarations (the interface above is them)
      const specifier: string = MODULE;
      const mod = (await import(specifier)) as { default: () => Promise<FvadModule> };
      return await mod.default();
    } catch (e) {
      loading = undefined;
      throw new AliciaError('STT_ENGINE_MISSING', `the voice activity detector ${MODULE} could not be loaded: ${(e as Error).message}`);
    }
  })();
  return loading;
}

/** The frame this detector is fed (libfvad accepts 10, 20 or 30 ms): 20 ms, the energy gate's frame too. */
export const VAD_FRAME_MS = 20;

export class WebRtcVad {
  private handle = 0;
  private buffer = 0;

  private constructor(
    private readonly mod: FvadModule,
    private readonly frameLength: number,
  ) {}

  /** mode 0-3 (libfvad); 16 kHz audio in 20 ms frames of 320 samples. */
  static async create(mode: 0 | 1 | 2 | 3, sampleRate = 16000): Promise<WebRtcVad> {
    const mod = await loadModule();
    const vad = new WebRtcVad(mod, (sampleRate * VAD_FRAME_MS) / 1000);
    vad.handle = mod._fvad_new();
    if (vad.handle === 0) throw new AliciaError('STT_ENGINE_FAILED', 'fvad_new failed (out of memory)');
    if (mod._fvad_set_mode(vad.handle, mode) < 0 || mod._fvad_set_sample_rate(vad.handle, sampleRate) < 0) {
      vad.close();
      throw new AliciaError('STT_ENGINE_FAILED', `the voice activity detector refused mode ${mode} at ${sampleRate} Hz`);
    }
    vad.buffer = mod._malloc(vad.frameLength * 2);
    return vad;
  }

  get frameSamples(): number {
    return this.frameLength;
  }

  /** One frame of exactly frameSamples samples: speech or not. */
  isSpeech(frame: Int16Array): boolean {
    if (this.handle === 0) throw new AliciaError('STT_ENGINE_FAILED', 'the voice activity detector is closed');
    // HEAP16 is re-read every call: the module's memory may have grown (and been replaced) since
    this.mod.HEAP16.set(frame, this.buffer >> 1);
    const r = this.mod._fvad_process(this.handle, this.buffer, this.frameLength);
    if (r < 0) throw new AliciaError('STT_ENGINE_FAILED', `the voice activity detector refused a frame of ${frame.length} samples`);
    return r === 1;
  }

  /** Free the detector; can run twice. */
  close(): void {
    if (this.buffer !== 0) this.mod._free(this.buffer);
    if (this.handle !== 0) this.mod._fvad_free(this.handle);
    this.buffer = 0;
    this.handle = 0;
  }
}
