import { trimSilence } from './trimSilence.js';
import type { GrammarKind, SttEngine, SttRecognition, SttStream } from './sttEngine.js';
import { concatPcm } from '../lib/audio/pcm.js';

/**
 * A streamed utterance recognised as a whole: the audio is collected as it arrives and recognised
 * with recognize(), exactly as the same audio sent in one piece (alicia/voice/command) would be.
 *
 * The recognition starts early, on the audio so far, as soon as what recognize() would decode of it
 * is all in: the engine trims the audio to the speech and some silence after it (engine.trim), so
 * once that silence has arrived, the decoded samples are final unless more speech follows. Also when
 * the endpointer hears silence after the speech (speculate()). At the end an early result is used
 * only if the whole audio trims to the same samples (nothing but silence followed), else the whole
 * is recognised again. So the answer is always the whole utterance's, and it is usually ready, or
 * nearly, when the user lets go or the silence is confirmed.
 *
 * At most one early recognition runs at a time (each would queue a whole decode on the engine); a
 * newer one waits for it and then starts on the audio as it is by then.
 * Also the stream of an engine that cannot decode incrementally.
 */
export function wholeStream(engine: SttEngine, kind: GrammarKind = 'commands'): SttStream {
  let parts: Int16Array[] = [];
  let early: { start: number; end: number; result: Promise<SttRecognition> } | null = null;
  let running = false;
  /** a newer early start was asked for while one ran: 'complete' when only a finished trim may start it */
  let wanted: 'any' | 'complete' | null = null;
  let closed = false;
  const span = (audio: Int16Array): { start: number; end: number; complete: boolean } =>
    engine.trim === null ? { start: 0, end: audio.length, complete: false } : trimSilence(audio, 16000, engine.trim ?? {});
  const all = (): Int16Array => {
    if (parts.length !== 1) {
      parts = [concatPcm(parts)];
    }
    return parts[0] ?? new Int16Array(0);
  };
  /** start recognising the audio so far; `complete`: only when its trim ends before the audio does */
  const begin = (need: 'any' | 'complete'): void => {
    if (closed) return;
    const audio = all();
    const s = span(audio);
    if (need === 'complete' && !(engine.trim && s.complete)) return;
    if (early?.start === s.start && early.end === s.end) return;
    if (running) {
      if (wanted !== 'any') wanted = need;
      return;
    }
    running = true;
    const result = engine.recognize(audio, kind);
    // a failed guess is recomputed at the end; its rejection is not lost unobserved
    const settled = (): void => {
      running = false;
      const next = wanted;
      wanted = null;
      if (next) begin(next);
    };
    result.then(settled, settled);
    early = { start: s.start, end: s.end, result };
  };
  return {
    feed(pcm16k) {
      parts.push(pcm16k);
      begin('complete');
      return Promise.resolve();
    },
    speculate() {
      begin('any');
    },
    async finish() {
      closed = true;
      const audio = all();
      if (early) {
        const guess = early;
        const b = span(audio);
        if (guess.start === b.start && guess.end === b.end) {
          try {
            return await guess.result;
          } catch {
            // recognised again below
          }
        }
      }
      return engine.recognize(audio, kind);
    },
    abort() {
      closed = true;
      parts = [];
      early = null;
    },
  };
}
