import type { CorpusSet, CorpusUtterance } from './corpus.js';
import type { SpeechCorpus } from './speech.js';
/**
 * Audio for measuring the wake word (wakeWord.ts) on a corpus set's voices and speeds:
 *  - wakeUtterances: "alicia, <command>" in every voice at every speed, three commands each
 *    (rotating through the set's commands), as a user says them hands-free;
 *  - wakeStreamCorpus: at least `minutes` of a listening stream that never says the phrase: the
 *    set's non-commands and commands one after another in rotating voices and speeds, with a
 *    stretch of pink or white noise after every tenth sentence.
 */
export declare const WAKE_PER_VOICE_SPEED = 3;
export declare function wakeUtterances(set: CorpusSet, phrase?: string): CorpusUtterance[];
export declare function wakeStreamCorpus(speech: SpeechCorpus, set: CorpusSet, minutes?: number): Promise<Int16Array>;
//# sourceMappingURL=wakeCorpus.d.ts.map