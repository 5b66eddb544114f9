import type { Voice } from './speech.js';
/**
 * The recognition corpus: spoken commands and spoken non-commands for the default home
 * (resources/home.json), made at test time with espeak-ng (speech.ts), split once and for all into
 *
 *  - a TUNING set: the only audio any threshold or penalty of the recogniser was chosen on
 *    (services/stt/README.md says which), and
 *  - a TEST set: other voices, other speeds, other sentences and, for the near misses, other
 *    room and device names. Accuracy and false accepts are reported on it (`npm run bench`,
 *    docs/benchmarks.md) and a seeded sample of it is asserted in pocketsphinxEngine.test.ts.
 *    Never tune on it: a change that needs the test set to look right is a change to redo.
 *
 * Voices: espeak-ng's numbered variants (en-us+m1..m8, f1..f5, Debian's espeak-ng-data) plus the
 * plain en-us voice, split by number (odd men to tuning, even men to test; women f2-f4 to tuning,
 * f1 and f5 to test). The named community variants (robots, whisper, children's and cartoon voices)
 * are no one's idea of a user; a few of them are reported as a stress row (STRESS_VOICES), outside
 * both sets and outside the targets. espeak-ng silently falls back to en-us for an unknown variant
 * name: corpus.test.ts checks that every voice here sounds different.
 */
export type RejectionKind = 'everyday' | 'near_miss' | 'unknown_device' | 'out_of_range';
export interface RejectionSentence {
    text: string;
    kind: RejectionKind;
}
export interface CorpusSet {
    name: 'tuning' | 'test';
    voices: readonly string[];
    speeds: readonly number[];
    /** commands of the default home: each must come back as the same intent, device and value */
    commands: readonly string[];
    /** not commands: each must come back not understood, and never move a device */
    rejection: readonly RejectionSentence[];
}
/** Named variants outside both sets: reported, never tuned on, not part of the targets. */
export declare const STRESS_VOICES: readonly string[];
export declare const TUNING: CorpusSet;
export declare const TEST: CorpusSet;
export interface CorpusUtterance {
    text: string;
    voice: Voice;
    /** 'command' or the kind of non-command */
    kind: 'command' | RejectionKind;
}
/** Every (sentence, voice, speed) of a set. */
export declare function utterances(set: CorpusSet, voices?: readonly string[]): CorpusUtterance[];
/** A reproducible sample: `n` of `xs` drawn without replacement by a seeded generator (mulberry32). */
export declare function sample<T>(xs: readonly T[], n: number, seed: number): T[];
//# sourceMappingURL=corpus.d.ts.map