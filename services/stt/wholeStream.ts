import { trimSilence } from './trimSilence.js';
import type { GrammarKind, SttEngine, SttRecognition, SttStream } from './sttEngine.js';

/**
 * A streamed utterance recognised as a whole: the audio is collected as it arrives and recognised
 * with recognize(), exactly as the same audio sent in one piece (alicia/voice/command) would be.
 * speculate() starts that recognition early, when the endpointer hears silence after the speech;
 * at the end the early result is used only if the audio since added no speech (the same samples
 * survive trimSilence), else the whole is recognised again. So the answer is always the whole
 * utterance's, and with endpointing it is usually ready when the silence is confirmed.
 * Also the stream of an engine that cannot decode incrementally.
 */
export function wholeStream(engine: SttEngine, kind: GrammarKind = 'commands'): SttStream {
  let parts: Int16Array[] = [];
  let length = 0;
  let early: { length: number; result: Promise<SttRecognition> } | null = null;
  const all = (): Int16Array => {
    if (parts.length !== 1) {
      const joined = new Int16Array(length);
      let at = 0;
      for (const p of parts) {
        joined.set(p, at);
        at += p.length;
      }
      parts = [joined];
    }
    return parts[0] ?? new Int16Array(0);
  };
  return {
    feed(pcm16k) {
      parts.push(pcm16k);
      length += pcm16k.length;
      return Promise.resolve();
    },
    speculate() {
      if (early?.length === length) return;
      const audio = all();
      const result = engine.recognize(audio, kind);
      // a failed guess is recomputed at the end; its rejection is not lost unobserved
      result.catch(() => undefined);
      early = { length: audio.length, result };
    },
    async finish() {
      const audio = all();
      if (early) {
        const guess = early;
        const a = trimSilence(audio.subarray(0, guess.length), 16000);
        const b = trimSilence(audio, 16000);
        if (a.start === b.start && a.end === b.end) {
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
      parts = [];
      length = 0;
      early = null;
    },
  };
}
