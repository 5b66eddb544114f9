import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGrammar, loadDictionaryWords } from '../lib/language/grammar.js';
import { defaultHomeRegistry } from '../lib/language/testing/defaultHome.js';
import { decoderBackend } from './decoderBackends.js';
import { nativeBackend } from './nativeDecoder.js';
import { PocketsphinxEngine } from './pocketsphinxEngine.js';
import { pocketsphinxLoads } from './pocketsphinxLib.js';
import { pcmOf } from './testing/decoderSuite.js';
import { COMMAND_SENTENCES, OUT_OF_GRAMMAR, SpeechCorpus, VOICES } from './testing/speech.js';

const nativeLoads = pocketsphinxLoads();

describe('choosing the backend (stt config pocketsphinx.backend)', () => {
  it('"wasm" and "native" are what they say; "auto" is native exactly where the system library loads', () => {
    expect(decoderBackend('wasm').name).toBe('wasm');
    expect(decoderBackend('native').name).toBe('native');
    expect(decoderBackend('auto').name).toBe(nativeLoads ? 'native' : 'wasm');
  });
});

/**
 * Same grammar generation, same rejection gates, same results: the whole engine on each backend,
 * side by side on the same audio. The WebAssembly build and Debian's library are compiled from the
 * same source package, and IEEE float arithmetic is the same in WASM and on x86-64, so every score
 * must match exactly, not just the words.
 */
describe.runIf(nativeLoads)('the engine on the WASM and on the native backend', () => {
  const corpus = new SpeechCorpus();
  const wasm = new PocketsphinxEngine({ backend: decoderBackend('wasm') });
  const native = new PocketsphinxEngine({ backend: nativeBackend });
  const sentences = [...COMMAND_SENTENCES.slice(0, 12), ...OUT_OF_GRAMMAR.slice(0, 3)];
  let wavs: Buffer[];

  beforeAll(async () => {
    const jsgf = buildGrammar(defaultHomeRegistry(), loadDictionaryWords()).jsgf;
    await Promise.all([wasm.start(), native.start()]);
    await Promise.all([wasm.setGrammar(jsgf), native.setGrammar(jsgf)]);
    wavs = await corpus.speakAll(sentences.map((text) => ({ text, voice: VOICES[1]! })));
  }, 120_000);

  afterAll(async () => {
    await Promise.all([wasm.stop(), native.stop()]);
    await corpus.dispose();
  });

  it('hear the same words with the same scores, margins and verdicts', async () => {
    expect(wasm.backendName).toBe('wasm');
    expect(native.backendName).toBe('native');
    let understood = 0;
    for (const [i, wav] of wavs.entries()) {
      const pcm = pcmOf(wav);
      const a = await wasm.recognize(pcm);
      const b = await native.recognize(pcm);
      const { decode_ms: _a, ...da } = a.details ?? {};
      const { decode_ms: _b, ...db } = b.details ?? {};
      expect({ ...a, details: da }, sentences[i]).toEqual({ ...b, details: db });
      if (a.understood) understood++;
    }
    // the comparison covers accepted commands and rejected strangers alike
    expect(understood).toBeGreaterThanOrEqual(10);
    expect(understood).toBeLessThan(sentences.length);
  }, 120_000);
});
