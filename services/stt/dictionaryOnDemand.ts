import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanDictionary } from '../lib/language/grammar.js';
import type { Decoder, DecoderBackend, FsgFiller, Hypothesis, WordSegment } from './decoder.js';

/**
 * A backend whose decoders hold only the dictionary words their searches use. pocketsphinx's -dict
 * reads the whole CMU dictionary (134,000 words) into every decoder: 10-12 MiB of each decoder's
 * memory (measured on the WASM build), of which a grammar of the known commands uses about a
 * hundred words. Here a decoder opened with `-dict FILE` starts from an empty main dictionary
 * instead, and before each grammar or keyphrase is set it is given (ps_add_word) the entries of
 * FILE for the words of that search it lacks: every pronunciation of each word, in FILE's order,
 * so the decoder holds the same entries for those words as the whole file would give it.
 * A search only ever looks at its own words and the fillers (-fdict, loaded as before), so the
 * results are the same (dictionaryOnDemand.test.ts compares words, scores and segments).
 * A decoder opened without -dict (the phone loop) is passed through as it is.
 */
export function dictionaryOnDemand(backend: DecoderBackend): DecoderBackend {
  return {
    name: backend.name,
    async open(argv, search) {
      const at = argv.indexOf('-dict');
      const dict = at >= 0 ? argv[at + 1] : undefined;
      if (dict === undefined) return backend.open(argv, search);
      // an empty main dictionary of our own: without any -dict, a pocketsphinx built with a model
      // folder of its own (Debian's library) would read that folder's dictionary
      const dir = await mkdtemp(join(tmpdir(), 'alicia-dict-'));
      try {
        const empty = join(dir, 'empty.dict');
        await writeFile(empty, '');
        const d = await backend.open([...argv.slice(0, at + 1), empty, ...argv.slice(at + 2)], search);
        return new OnDemandDecoder(d, dict);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/** "word(2)" -> "word" */
const baseWord = (w: string): string => w.replace(/\(\d+\)$/, '');

/**
 * The words a JSGF or FSG text (or a keyphrase) could name: every token outside <...>. Keywords and
 * numbers come along; the dictionary lacks most of them, and a word the search does not use costs a
 * few bytes and changes nothing.
 */
export function searchTokens(text: string): Set<string> {
  return new Set(text.replace(/<[^>]*>/g, ' ').match(/[^\s()|[\];=*+{}/]+/g) ?? []);
}

/** Every entry of a CMU-format dictionary ("word phones", "word(2) phones") whose base word is in `words`, in the file's order. */
export function dictionaryEntries(path: string, words: ReadonlySet<string>): { word: string; phones: string }[] {
  const out: { word: string; phones: string }[] = [];
  scanDictionary(path, (_, entry) => out.push(entry()), words);
  return out;
}

class OnDemandDecoder implements Decoder {
  /** base words looked up in the dictionary already (found or not), and words added by name */
  private readonly known = new Set<string>();
  /** the last search text whose words are known (a command grammar is set again after each answer) */
  private lastText: string | null = null;

  constructor(
    private readonly d: Decoder,
    private readonly dict: string,
  ) {}

  async setJsgf(jsgf: string): Promise<void> {
    await this.wordsOf(jsgf);
    return this.d.setJsgf(jsgf);
  }

  async setFsg(fsg: string, fillers: readonly FsgFiller[]): Promise<void> {
    await this.wordsOf(fsg);
    return this.d.setFsg(fsg, fillers);
  }

  async setKeyphrase(phrase: string, threshold: number): Promise<void> {
    await this.ensure([...searchTokens(phrase)].map(baseWord));
    return this.d.setKeyphrase(phrase, threshold);
  }

  /** Words by name; "word(2)" needs its base word in the dictionary first, so that comes from the file. */
  async addWords(words: ReadonlyArray<{ word: string; phones: string }>): Promise<void> {
    await this.ensure(words.map((w) => baseWord(w.word)).filter((b, i) => b !== words[i]!.word));
    for (const w of words) this.known.add(w.word);
    return this.d.addWords(words);
  }

  setPhoneLoop(phoneLm: string): Promise<void> {
    return this.d.setPhoneLoop(phoneLm);
  }

  startUtt(): Promise<void> {
    return this.d.startUtt();
  }

  processRaw(pcm: Int16Array, fullUtt?: boolean): Promise<number> {
    return this.d.processRaw(pcm, fullUtt);
  }

  endUtt(): Promise<void> {
    return this.d.endUtt();
  }

  hyp(): Promise<Hypothesis> {
    return this.d.hyp();
  }

  segments(): Promise<WordSegment[]> {
    return this.d.segments();
  }

  prob(): Promise<number> {
    return this.d.prob();
  }

  close(): Promise<void> {
    return this.d.close();
  }

  private async wordsOf(text: string): Promise<void> {
    if (text === this.lastText) return;
    await this.ensure(searchTokens(text));
    this.lastText = text;
  }

  /** Add the dictionary's entries for those of `words` not looked up yet (one read of the file). */
  private async ensure(words: Iterable<string>): Promise<void> {
    const missing = new Set([...words].filter((w) => !this.known.has(w)));
    if (missing.size === 0) return;
    const entries = dictionaryEntries(this.dict, missing);
    if (entries.length > 0) await this.d.addWords(entries);
    for (const w of missing) this.known.add(w);
  }
}
