import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GARBAGE_WORDS, garbageUnit } from '../lib/language/garbage.js';
import { buildGrammar, loadDictionaryWords, loadPronunciations } from '../lib/language/grammar.js';
import { pocketsphinxBundle } from '../lib/language/pocketsphinxBundle.js';
import { defaultHomeRegistry } from '../lib/language/testing/defaultHome.js';
import { decodeUtterance } from './decoder.js';
import type { Decoder } from './decoder.js';
import { dictionaryEntries, dictionaryOnDemand, searchTokens } from './dictionaryOnDemand.js';
import { GarbageFillerDict, fsgFillers } from './garbageFillers.js';
import { DECODER_ARGV, pcmOf } from './testing/decoderSuite.js';
import { COMMAND_SENTENCES, OUT_OF_GRAMMAR, SpeechCorpus, VOICES } from './testing/speech.js';
import { wasmBackend } from './wasmDecoder.js';

const model = pocketsphinxBundle();

describe('the dictionary entries of a search', () => {
  it('are every pronunciation of each word, in the dictionary order, and nothing else', () => {
    const entries = dictionaryEntries(model.dict, new Set(['the', 'kitchen', 'zorblax']));
    expect(entries.map((e) => e.word)).toEqual(['kitchen', 'the', 'the(2)']);
    expect(entries[0]!.phones).toBe('K IH CH AH N');
  });

  it('are looked up for every word of a JSGF or FSG text, rule names left out', () => {
    const jsgf = '#JSGF V1.0;\ngrammar g;\npublic <cmd> = ( turn | switch ) on [ the ] <device>;\n';
    expect(searchTokens(jsgf)).toEqual(new Set(['#JSGF', 'V1.0', 'grammar', 'g', 'public', 'turn', 'switch', 'on', 'the']));
    expect(searchTokens('TRANSITION 0 2 1 turn\nTRANSITION 2 2 0.005 <sil>')).toEqual(
      new Set(['TRANSITION', '0', '2', '1', 'turn', '0.005']),
    );
  });
});

/**
 * A decoder that starts from an empty dictionary and gets its grammar's words one by one must hear
 * exactly what a decoder with the whole CMU dictionary hears: same words, scores, frames and
 * segment scores, on commands and on speech that is none, for the JSGF grammar and for the FSG with
 * its garbage path (filler units, garbage words added by name).
 */
describe('a decoder holding only its grammar words', () => {
  const corpus = new SpeechCorpus();
  const fillers = new GarbageFillerDict();
  const sentences = [...COMMAND_SENTENCES.slice(0, 8), ...OUT_OF_GRAMMAR.slice(0, 4)];
  const grammar = buildGrammar(defaultHomeRegistry(), loadDictionaryWords());
  const opened: Decoder[] = [];
  let pcms: Int16Array[];

  const pair = async (argv: string[]): Promise<[Decoder, Decoder]> => {
    const both = await Promise.all([wasmBackend().open(argv, 'g'), dictionaryOnDemand(wasmBackend()).open(argv, 'g')]);
    opened.push(...both);
    return both;
  };

  async function expectSameHearing(whole: Decoder, lean: Decoder): Promise<void> {
    for (const [i, pcm] of pcms.entries()) {
      const a = await decodeUtterance(whole, pcm);
      const b = await decodeUtterance(lean, pcm);
      expect(b, sentences[i]).toEqual(a);
      expect(await lean.segments(), sentences[i]).toEqual(await whole.segments());
      expect(await lean.prob(), sentences[i]).toBe(await whole.prob());
    }
  }

  beforeAll(async () => {
    const wavs = await corpus.speakAll(sentences.map((text) => ({ text, voice: VOICES[1]! })));
    pcms = wavs.map(pcmOf);
  }, 120_000);

  afterAll(async () => {
    for (const d of opened) await d.close();
    fillers.dispose();
    await corpus.dispose();
  });

  it('hears the same with the JSGF command grammar', async () => {
    const [whole, lean] = await pair(DECODER_ARGV);
    await whole.setJsgf(grammar.jsgf);
    await lean.setJsgf(grammar.jsgf);
    await expectSameHearing(whole, lean);
  }, 120_000);

  it('hears the same with the FSG and its garbage path', async () => {
    const argv = [...DECODER_ARGV, '-fdict', fillers.write(model.hmm), '-bestpath', 'no'];
    const [whole, lean] = await pair(argv);
    const garbage = [...loadPronunciations(model.dict, GARBAGE_WORDS)].map(([w, phones]) => ({ word: garbageUnit(w), phones }));
    for (const d of [whole, lean]) {
      await d.addWords(garbage);
      await d.setFsg(grammar.fsg, fsgFillers(grammar.fsg));
    }
    await expectSameHearing(whole, lean);
  }, 120_000);

  it('still refuses a grammar with a word the dictionary lacks', async () => {
    const [, lean] = await pair(DECODER_ARGV);
    await expect(lean.setJsgf('#JSGF V1.0;\ngrammar g;\npublic <c> = turn on the zorblax;\n')).rejects.toMatchObject({
      code: 'STT_ENGINE_FAILED',
    });
  });
});
