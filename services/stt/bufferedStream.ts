import type { SttEngine, SttStream } from './sttEngine.js';

/**
 * A stream for an engine that can only recognise whole utterances: the audio is collected and
 * recognised at the end (no decoding while the user speaks, so the whole decode is the tail).
 */
export function bufferedStream(engine: SttEngine): SttStream {
  let parts: Int16Array[] = [];
  return {
    feed(pcm16k) {
      parts.push(pcm16k);
      return Promise.resolve();
    },
    finish() {
      let n = 0;
      for (const p of parts) n += p.length;
      const all = new Int16Array(n);
      let at = 0;
      for (const p of parts) {
        all.set(p, at);
        at += p.length;
      }
      parts = [];
      return engine.recognize(all);
    },
    abort() {
      parts = [];
    },
  };
}
