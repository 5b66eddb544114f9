/** What a speech engine gives back: mono signed 16-bit samples at the engine's own rate. */
export interface SynthesisOutput {
  samples: Int16Array;
  sampleRate: number;
}

export interface SynthesisOptions {
  /** espeak-ng voice identifier, e.g. "en-us", "en-gb-x-rp" */
  voice: string;
  /** words per minute (espeak-ng accepts 80-450) */
  rate: number;
}

/**
 * One offline speech engine. `start()` loads it once (the WASM module parses ~24 MB of voice data,
 * ~0.4 s here), `synthesize()` is called one request at a time by the service's queue, and must give
 * up with AliciaError TTS_TIMEOUT after `timeoutMs` (aborting the work, not just the wait).
 */
export interface TtsEngine {
  readonly name: string;
  start(): Promise<void>;
  synthesize(ssmlText: string, opts: SynthesisOptions, timeoutMs: number): Promise<SynthesisOutput>;
  stop(): Promise<void>;
}
