/**
 * One pocketsphinx decoder (ps_decoder_t) with one named search, whatever runs it: the WebAssembly
 * build in a worker thread (wasmDecoder.ts, the default: the same on every OS, nothing from the
 * system) or the system's C library through koffi (nativeDecoder.ts, optional). Every call is async
 * so the service's event loop never waits for the decoder; calls on one decoder run in the order
 * made, and two decoders run at the same time (one worker or koffi thread each).
 * services/stt/testing/decoderSuite.ts holds both backends to the same behaviour.
 */

/** The best hypothesis so far (partial during an utterance, final after endUtt). */
export interface Hypothesis {
  /** the words, or null when no path reached a final state (ps_get_hyp) */
  hyp: string | null;
  /** path score (log domain, pocketsphinx's integer units) */
  score: number;
  /** frames (10 ms) searched so far in this utterance (ps_get_n_frames) */
  frames: number;
}

/** One word of the best path (ps_seg_iter), with its scores (ps_seg_prob). */
export interface WordSegment {
  /** the dictionary word, with "(2)" for an alternative pronunciation; fillers like <sil> included */
  word: string;
  /** frames; in this pocketsphinx version they can start past 0 after a streamed utterance: use the span */
  startFrame: number;
  endFrame: number;
  /** log posterior probability (0 = certain; needs a finished utterance and -bestpath yes) */
  prob: number;
  /** acoustic score */
  ascr: number;
  /** language (grammar) score */
  lscr: number;
  /** language model backoff mode (n-gram searches) */
  lback: number;
}

/** A self-loop of an FSG that the search must treat as a filler word (see Decoder.setFsg). */
export interface FsgFiller {
  word: string;
  state: number;
  prob: number;
}

export interface Decoder {
  /** a JSGF grammar search; on a parse error STT_ENGINE_FAILED and the previous one stays */
  setJsgf(jsgf: string): Promise<void>;
  /**
   * A grammar in pocketsphinx's FSG text format (fsg_model_read), which unlike JSGF can share states.
   * `fillers` are self-loops of the text the search must treat as fillers (no cross-word context,
   * left out of the hypothesis string, kept in segments()): the text format cannot say so. With any
   * marked, -fsgusefiller adds nothing, so the text must carry its own <sil> loops.
   */
  setFsg(fsg: string, fillers: readonly FsgFiller[]): Promise<void>;
  /** pronunciations the dictionary lacks (ps_add_word), e.g. [{ word: '~light', phones: 'L AY T' }] */
  addWords(words: ReadonlyArray<{ word: string; phones: string }>): Promise<void>;
  /** a free phone loop weighted by the phone language model at `phoneLm` (ps_set_allphone_file) */
  setPhoneLoop(phoneLm: string): Promise<void>;
  /** keyword spotting for `phrase` (ps_set_keyphrase); `threshold` is -kws_threshold (e.g. 1e-20) */
  setKeyphrase(phrase: string, threshold: number): Promise<void>;
  startUtt(): Promise<void>;
  /**
   * 16 kHz mono 16-bit samples: a whole utterance (fullUtt true) or the next chunk of a stream
   * (fullUtt false, any length, e.g. 20-200 ms); resolves with the frames searched so far.
   */
  processRaw(pcm: Int16Array, fullUtt?: boolean): Promise<number>;
  endUtt(): Promise<void>;
  hyp(): Promise<Hypothesis>;
  /** the best path's words with their scores (after endUtt for posteriors) */
  segments(): Promise<WordSegment[]>;
  /** log posterior probability of the hypothesis (ps_get_prob; 0 when the search has none) */
  prob(): Promise<number>;
  /** release the decoder; can run twice */
  close(): Promise<void>;
}

export type BackendName = 'wasm' | 'native';

export interface DecoderBackend {
  readonly name: BackendName;
  /**
   * ps_init with `argv` (e.g. ['-hmm', dir, '-dict', file, '-beam', '1e-80']); the decoder's searches
   * are all named `search`. STT_ENGINE_MISSING when the backend cannot run here, STT_ENGINE_FAILED
   * when pocketsphinx refuses the arguments or cannot load the model.
   */
  open(argv: readonly string[], search: string): Promise<Decoder>;
}

/** A whole utterance: start, process it all (full_utt), end, the final hypothesis. */
export async function decodeUtterance(d: Decoder, pcm: Int16Array): Promise<Hypothesis> {
  // The calls queue in order on the decoder, so they are sent at once (one wait, not four).
  const [, , , h] = await Promise.all([d.startUtt(), d.processRaw(pcm, true), d.endUtt(), d.hyp()]);
  return h;
}

/** Parse psw_segments()' "word\tstart\tend\tprob\tascr\tlscr\tlback\n" lines (build/pocketsphinx-wasm/driver.c). */
export function parseSegments(text: string): WordSegment[] {
  const out: WordSegment[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const [word = '', ...n] = line.split('\t');
    const [startFrame = 0, endFrame = 0, prob = 0, ascr = 0, lscr = 0, lback = 0] = n.map(Number);
    out.push({ word, startFrame, endFrame, prob, ascr, lscr, lback });
  }
  return out;
}
