/**
 * The garbage path of the recogniser's grammar (grammar.ts writes it, the stt engine decodes it):
 * what the decoder may say instead of a command. A grammar decoder always finds *some* sentence
 * of its grammar, so speech outside it ("turn on the garage light" in a home without a garage)
 * came out as the nearest command ("turn on the bedroom light"). With a garbage path competing
 * inside the same search, that speech is cheaper to say as garbage, the best path itself says
 * "not a command", and the engine rejects any hypothesis with a garbage word in it.
 *
 * Two kinds of garbage unit, both written with GARBAGE_PREFIX so they can never be taken for a
 * command word:
 *  - the 39 phones of the en-us acoustic model, one "word" each (context-independent: the engine
 *    gives them to the decoder as filler words, so the loop costs 39 HMMs): anything at all;
 *  - words the home may lack (frequent English words and names of man-made things: GARBAGE_WORDS,
 *    with the dictionary's context-dependent pronunciations): a phone loop is a poor match for a whole word,
 *    so "bathroom" on its own would still lose to "bedroom"; as a word it wins. Words the home's
 *    own commands use are left out by the grammar (its phrases stay the cheaper reading).
 *
 * From every state of the command grammar a null transition (price entryProb) leads into one
 * shared loop of units (each unit priced phoneProb or wordProb) that ends the sentence: a command
 * followed or interrupted by unexplained speech is rejected too. The prices were chosen on the
 * tuning set of services/stt/accuracy/corpus.ts only (services/stt/README.md has the numbers).
 */

import { EVERYDAY_WORDS, HOUSEHOLD_WORDS } from './garbageVocabulary.js';

export interface GarbageOptions {
  /** price of each garbage phone (a transition probability, scaled by the decoder's -lw) */
  phoneProb: number;
  /** price of each garbage word */
  wordProb: number;
  /** price of leaving the command grammar for the garbage loop (0: no garbage path at all) */
  entryProb: number;
  /**
   * price of going back from the garbage loop into the command where a device or room name ends
   * (0: the garbage ends the sentence). A name the home lacks is then garbage on its own, not the
   * rest of the sentence with it ("turn the ~garage ~door off" rather than "turn the ~garage ~door ~ao ~f"),
   * which made the nearest known name ("turn the front door off") the cheaper path.
   */
  returnProb: number;
}

export const DEFAULT_GARBAGE: GarbageOptions = { phoneProb: 3e-2, wordProb: 3e-2, entryProb: 1e-2, returnProb: 1 };

/** The phones of pocketsphinx's en-us model (its mdef, without SIL and the noise phones). */
export const GARBAGE_PHONES: readonly string[] = [
  'AA', 'AE', 'AH', 'AO', 'AW', 'AY', 'B', 'CH', 'D', 'DH', 'EH', 'ER', 'EY', 'F', 'G', 'HH', 'IH', 'IY', 'JH', 'K',
  'L', 'M', 'N', 'NG', 'OW', 'OY', 'P', 'R', 'S', 'SH', 'T', 'TH', 'UH', 'UW', 'V', 'W', 'Y', 'Z', 'ZH',
]; // prettier-ignore

/** "~" starts no dictionary word. */
export const GARBAGE_PREFIX = '~';
export const isGarbageWord = (w: string): boolean => w.startsWith(GARBAGE_PREFIX);
export const garbageUnit = (name: string): string => `${GARBAGE_PREFIX}${name.toLowerCase()}`;

/**
 * Words a home may name that its commands do not, and everyday words: EVERYDAY_WORDS and
 * HOUSEHOLD_WORDS of garbageVocabulary.ts, derived mechanically (word frequency from pocketsphinx's
 * general English language model, "man-made thing" from WordNet) by
 * build/garbage-vocabulary/generate.mjs, never written by hand, so no sentence of the recognition
 * corpus (services/stt/accuracy/corpus.ts) chose them. The grammar keeps those the home's own
 * commands do not use and the dictionary can say.
 */
export const GARBAGE_WORDS: readonly string[] = [...new Set([...EVERYDAY_WORDS, ...HOUSEHOLD_WORDS])].filter(
  // "ah", "er": their garbage unit would be a phone's
  (w) => !GARBAGE_PHONES.includes(w.toUpperCase()),
);
