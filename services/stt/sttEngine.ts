import type { TrimOptions } from './trimSilence.js';

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

/**
 * One streamed utterance: audio is decoded as it arrives, so when it ends only the tail is left.
 * feed(), finish() and abort() are called one at a time (never while another is running); abort()
 * frees what the stream holds (finish() does too) and may come instead of finish().
 */
export interface SttStream {
  /** 16 kHz mono 16-bit PCM, the next piece of the utterance */
  feed(pcm16k: Int16Array): Promise<void>;
  /** the speech seems to have ended (silence after it): a stream may start its final work early */
  speculate?(): void;
  /** the utterance ended: the same recognition recognize() gives for the whole audio */
  finish(): Promise<SttRecognition>;
  abort(): void;
}

/** "commands": everything Alicia can do; "answers": yes/no to a question the router asked. */
export type GrammarKind = 'commands' | 'answers';

export interface SttEngine {
  readonly name: string;
  /** load models; throws AliciaError STT_ENGINE_MISSING when the engine is not installed */
  start(): Promise<void>;
  /** release models; can run twice */
  stop(): Promise<void>;
  /**
   * constrain recognition to this grammar (replaces the previous one of that kind; default "commands"):
   * JSGF, or pocketsphinx FSG text with a garbage path (Grammar.fsg)
   */
  setGrammar(grammar: string, kind?: GrammarKind): Promise<void>;
  /** 16 kHz mono 16-bit PCM, with the command grammar (default) or only the answers to a question */
  recognize(pcm16k: Int16Array, kind?: GrammarKind): Promise<SttRecognition>;
  /**
   * What recognize() decodes of its audio: trimSilence() with these options (the speech and some
   * silence around it), null for all of it; undefined: trimSilence()'s defaults, as far as known.
   * A whole-utterance stream starts early once that part of the audio is all in (wholeStream.ts).
   */
  readonly trim?: TrimOptions | null;
  /** a streamed utterance on its own decoder; engines without it get their audio whole at the end (bufferedStream.ts) */
  openStream?(kind?: GrammarKind): Promise<SttStream>;
}
