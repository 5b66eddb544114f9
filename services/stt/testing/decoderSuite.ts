import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWav, toMono16k } from '../../lib/audio/wav.js';
import { pocketsphinxBundle } from '../../lib/language/pocketsphinxBundle.js';
import { decodeUtterance } from '../decoder.js';
import type { Decoder, DecoderBackend } from '../decoder.js';
import { SpeechCorpus } from './speech.js';

/**
 * One test suite for every Decoder backend (the launcher suite's habit: one contract, every
 * implementation): the WebAssembly build in a worker thread and the system library through koffi
 * must open the same model, accept the same searches and hear the same words. Real audio, made at
 * test time by espeak-ng + sox; the model is the one the app ships.
 */

const model = pocketsphinxBundle();
/** what the engine passes (pocketsphinxEngine.ts GRAMMAR_BEAMS): wide beams for synthetic speech */
export const DECODER_ARGV = ['-hmm', model.hmm, '-dict', model.dict, '-beam', '1e-80', '-pbeam', '1e-80', '-wbeam', '1e-60'];
export const LIGHTS_JSGF = [
  '#JSGF V1.0;',
  'grammar lights;',
  'public <command> = ( turn on | turn off ) the ( kitchen | bedroom | living room ) ( light | lamp ) | play music | what time is it;',
  '',
].join('\n');

/** 16 kHz mono samples of a WAV */
export const pcmOf = (wav: Buffer): Int16Array => toMono16k(parseWav(wav, 'STT_BAD_AUDIO'));

/** The utterance in `chunkMs` pieces, as a stream would deliver it (the last one may be shorter). */
export function chunks(pcm: Int16Array, chunkMs: number): Int16Array[] {
  const n = Math.round((16000 * chunkMs) / 1000);
  const out: Int16Array[] = [];
  for (let at = 0; at < pcm.length; at += n) out.push(pcm.slice(at, at + n));
  return out;
}

export function decoderSuite(label: string, backend: () => DecoderBackend): void {
  describe(`Decoder contract: ${label}`, () => {
    const corpus = new SpeechCorpus();
    let grammar: Decoder;
    const audio: Record<string, Int16Array> = {};
    const opened: Decoder[] = [];
    const open = async (argv = DECODER_ARGV, search = 'test'): Promise<Decoder> => {
      const d = await backend().open(argv, search);
      opened.push(d);
      return d;
    };

    beforeAll(async () => {
      const sentences = [
        'turn on the kitchen light',
        'play music',
        'what time is it',
        'hello alicia',
        'please call my mother',
        'open the garage',
      ];
      const wavs = await corpus.speakAll(sentences.map((text) => ({ text })));
      sentences.forEach((s, i) => (audio[s] = pcmOf(wavs[i]!)));
      grammar = await open();
      await grammar.setJsgf(LIGHTS_JSGF);
    }, 120_000);

    afterAll(async () => {
      for (const d of opened) await d.close();
      await corpus.dispose();
    });

    it('decodes a whole utterance against a JSGF grammar: the words, a path score and the frames', async () => {
      const pcm = audio['turn on the kitchen light']!;
      const h = await decodeUtterance(grammar, pcm);
      expect(h.hyp).toBe('turn on the kitchen light');
      expect(h.score).toBeLessThan(0);
      // one frame per 10 ms of audio, less what the voice activity detector drops at the edges
      expect(h.frames).toBeGreaterThan(pcm.length / 160 / 2);
      expect(h.frames).toBeLessThanOrEqual(pcm.length / 160 + 1);
      expect((await decodeUtterance(grammar, audio['play music']!)).hyp).toBe('play music');
    });

    it('decodes a stream fed in 100 ms chunks to the same words, with frames growing as audio arrives', async () => {
      const pcm = audio['what time is it']!;
      const whole = await decodeUtterance(grammar, pcm);
      await grammar.startUtt();
      const frames: number[] = [];
      for (const c of chunks(pcm, 100)) frames.push(await grammar.processRaw(c, false));
      const partial = await grammar.hyp();
      await grammar.endUtt();
      const final = await grammar.hyp();
      expect(final.hyp).toBe('what time is it');
      expect(final.hyp).toBe(whole.hyp);
      expect(frames.at(-1)).toBeGreaterThan(frames[0]!);
      for (let i = 1; i < frames.length; i++) expect(frames[i]).toBeGreaterThanOrEqual(frames[i - 1]!);
      // a partial hypothesis exists before the end of the utterance
      expect(partial.hyp).toMatch(/what time/);
    });

    it('gives the best path as word segments with frames, acoustic scores and posteriors', async () => {
      const h = await decodeUtterance(grammar, audio['turn on the kitchen light']!);
      const segs = await grammar.segments();
      const words = segs.map((s) => s.word.replace(/\(\d+\)$/, '')).filter((w) => !/^(<.*>|\[.*\]|\+.*\+)$/.test(w));
      expect(words.join(' ')).toBe(h.hyp);
      for (const [i, s] of segs.entries()) {
        expect(s.endFrame).toBeGreaterThanOrEqual(s.startFrame);
        if (i > 0) expect(s.startFrame).toBeGreaterThan(segs[i - 1]!.endFrame - 1);
        expect(s.ascr).toBeLessThan(0);
        expect(s.prob).toBeLessThanOrEqual(0);
      }
      // frame numbers can start past 0 after a streamed utterance (this pocketsphinx version, both
      // backends alike): the span, not the position, is what fits in the utterance
      expect(segs.at(-1)!.endFrame - segs[0]!.startFrame).toBeLessThan(h.frames);
      expect(await grammar.prob()).toBeLessThanOrEqual(0);
    });

    it('runs a free phone loop: phones, not words, on any speech', async () => {
      // context-independent phones, as the engine's rejection pass runs them (the context-dependent loop takes 20+ s)
      const phones = await open([...DECODER_ARGV, '-allphone_ci', 'yes']);
      await phones.setPhoneLoop(model.phoneLm);
      const h = await decodeUtterance(phones, audio['please call my mother']!);
      expect(h.hyp).toMatch(/^[A-Z]+( [A-Z]+)+$/);
      expect(h.hyp).toContain('SIL');
      expect(h.score).toBeLessThan(0);
    });

    it('spots a keyphrase, with its threshold applied', async () => {
      const kws = await open(['-hmm', model.hmm, '-dict', model.dict]);
      await kws.setKeyphrase('alicia', 1e-50);
      expect((await decodeUtterance(kws, audio['hello alicia']!)).hyp).toBe('alicia');
      expect((await decodeUtterance(kws, audio['turn on the kitchen light']!)).hyp).toBeNull();
      // stricter: the same "hello alicia" no longer counts (measured on espeak-ng's voice)
      await kws.setKeyphrase('alicia', 1e-40);
      expect((await decodeUtterance(kws, audio['hello alicia']!)).hyp).toBeNull();
    });

    it('decodes an FSG grammar with added words, and its filler self-loops stay out of the hypothesis', async () => {
      const d = await open([...DECODER_ARGV, '-bestpath', 'no']);
      // a word the dictionary lacks, under a name no dictionary word has
      await d.addWords([{ word: '~garage', phones: 'G ER AA ZH' }]);
      // 0 -play-> 1 -music-> 2 (final); 0 -open-> 3 -the-> 4 -~garage-> 2; silence may come anywhere
      const states = [0, 1, 2, 3, 4];
      const fsg = [
        'FSG_BEGIN test',
        'NUM_STATES 5',
        'START_STATE 0',
        'FINAL_STATE 2',
        'TRANSITION 0 1 0.5 play',
        'TRANSITION 1 2 1 music',
        'TRANSITION 0 3 0.5 open',
        'TRANSITION 3 4 1 the',
        'TRANSITION 4 2 1 ~garage',
        ...states.map((st) => `TRANSITION ${st} ${st} 0.005 <sil>`),
        'FSG_END',
        '',
      ].join('\n');
      await d.setFsg(
        fsg,
        states.map((state) => ({ word: '<sil>', state, prob: 0.005 })),
      );
      expect((await decodeUtterance(d, audio['play music']!)).hyp).toBe('play music');
      expect((await decodeUtterance(d, audio['open the garage']!)).hyp).toBe('open the ~garage');
      const segs = (await d.segments()).map((s) => s.word);
      expect(segs).toContain('~garage');
      // a word missing from the dictionary, and text that is no FSG: refused, the search stays
      await expect(d.setFsg(fsg.replace('~garage', '~cellar'), [])).rejects.toMatchObject({ code: 'STT_ENGINE_FAILED' });
      await expect(d.setFsg('FSG_BEGIN broken\nNUM_STATES x\n', [])).rejects.toMatchObject({ code: 'STT_ENGINE_FAILED' });
      expect((await decodeUtterance(d, audio['play music']!)).hyp).toBe('play music');
    });

    it('two decoders decode at the same time, each with its own search', async () => {
      const other = await open();
      await other.setJsgf(LIGHTS_JSGF.replace('play music', 'please call my mother'));
      const [a, b] = await Promise.all([
        decodeUtterance(grammar, audio['turn on the kitchen light']!),
        decodeUtterance(other, audio['please call my mother']!),
      ]);
      expect(a.hyp).toBe('turn on the kitchen light');
      expect(b.hyp).toBe('please call my mother');
    });

    it('refuses a broken grammar with STT_ENGINE_FAILED and keeps the previous one', async () => {
      const d = await open();
      await d.setJsgf(LIGHTS_JSGF);
      await expect(d.setJsgf('#JSGF V1.0;\ngrammar broken;\npublic <x> = ( turn on ;\n')).rejects.toMatchObject({
        code: 'STT_ENGINE_FAILED',
      });
      expect((await decodeUtterance(d, audio['play music']!)).hyp).toBe('play music');
    });

    it('fails to open without a model (STT_ENGINE_FAILED); a closed decoder refuses calls (STT_ENGINE_MISSING); close runs twice', async () => {
      await expect(backend().open(['-hmm', '/nonexistent/model', '-dict', model.dict], 'x')).rejects.toMatchObject({
        code: 'STT_ENGINE_FAILED',
      });
      await expect(backend().open(['-no-such-flag', 'x'], 'x')).rejects.toMatchObject({ code: 'STT_ENGINE_FAILED' });
      const d = await backend().open(DECODER_ARGV, 'x');
      await d.setJsgf(LIGHTS_JSGF);
      await d.close();
      await d.close();
      await expect(d.startUtt()).rejects.toMatchObject({ code: 'STT_ENGINE_MISSING' });
    });
  });
}
