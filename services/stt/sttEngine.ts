/**
 * The speech-to-text engine seen by the stt service. Pocketsphinx is the default; other engines
 * (whisper.cpp, vosk, sherpa-onnx) may implement this with a user-supplied model path (no npm package ships a model):
 * never the default, never downloaded.
 */
export interface SttRecognition {
  /** words recognised; empty when not understood */
  text: string;
  /** 0..1 */
  confidence: number;
  /** false for silence, noise and speech outside the grammar */
  understood: boolean;
  /** why it was rejected (silence, noise, no_hypothesis, out_of_grammar, low_confidence) */
  reason?: string;
  /** engine-specific measurements (scores, frames), for logs and threshold tuning */
  details?: Record<string, number | string | null>;
}

export interface SttEngine {
  readonly name: string;
  /** load models; throws AliciaError STT_ENGINE_MISSING when the engine is not installed */
  start(): Promise<void>;
  /** release models; can run twice */
  stop(): Promise<void>;
  /** constrain recognition to this grammar (replaces the previous one): JSGF, or pocketsphinx FSG text with a garbage path (Grammar.fsg) */
  setGrammar(grammar: string): Promise<void>;
  /** 16 kHz mono 16-bit PCM */
  recognize(pcm16k: Int16Array): Promise<SttRecognition>;
}
