import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGrammar, grammarVocabulary, loadDictionaryWords } from '../lib/language/grammar.js';
import { matchIntent } from '../lib/language/matcher.js';
import { defaultHomeRegistry } from '../lib/language/testing/defaultHome.js';
import { TUNING, sample, utterances } from './accuracy/corpus.js';
import type { CorpusUtterance } from './accuracy/corpus.js';
import { scoreCorpus } from './accuracy/corpusScore.js';
import { DEFAULT_MIN_MARGIN_WITHOUT_GARBAGE, PocketsphinxEngine } from './pocketsphinxEngine.js';
import { SpeechCorpus } from './testing/speech.js';

/**
 * The recognition path stt ships by default (sttService.ts with the default config): the JSGF
 * command grammar without the garbage path, the noise floor, and the phone-loop gate at
 * DEFAULT_MIN_MARGIN_WITHOUT_GARBAGE, on the built-in WebAssembly decoder. pocketsphinxEngine.test.ts
 * holds the garbage path (stt's opt-in) to its bar; this holds the default to its own, on a seeded
 * sample of the TUNING set's spoken commands (services/stt/accuracy/corpus.ts), the set the default
 * threshold was checked on. The test set stays the bench's (npm run bench, recognition).
 */

const SAMPLE = 60;
const SEED = 7;
const home = defaultHomeRegistry();
const speech = new SpeechCorpus();
const engine = new PocketsphinxEngine({ minMargin: DEFAULT_MIN_MARGIN_WITHOUT_GARBAGE });
/** the clock scoreCorpus reads with, so time-dependent intents read alike */
const NOW = new Date(2026, 10, 27, 12, 0);
const deviceCommands = (heard: string): number => matchIntent(heard, home, {}, { now: NOW }).commands.length;

beforeAll(async () => {
  await engine.start();
  const g = buildGrammar(home, loadDictionaryWords(undefined, grammarVocabulary(home)));
  await engine.setGrammar(g.jsgf);
}, 60_000);

afterAll(async () => {
  await engine.stop();
  await speech.dispose();
});

describe('the default recognition path (JSGF grammar, noise floor, phone-loop gate)', () => {
  it(`gets >= 57 of ${SAMPLE} spoken commands of the tuning set right, and sends a wrong device command at most once`, async () => {
    const commands = sample(
      utterances(TUNING).filter((u) => u.kind === 'command'),
      SAMPLE,
      SEED,
    );
    const rows: string[] = [];
    const observe = (u: CorpusUtterance, r: { text: string; reason?: string }, right: boolean) => {
      if (!right) rows.push(`MISS ${u.voice.voice}/${u.voice.speed} "${u.text}" -> "${r.text}" ${r.reason ?? ''}`);
    };
    const s = await scoreCorpus(engine, speech, commands, home, observe);
    // the worst outcome (services/voice-router/README.md): a miss that still commands a device,
    // understood as another command (another device, or the same one set to another value)
    const wrongCommands = s.misses.filter((m) => m.heard !== '' && deviceCommands(m.heard) > 0);
    console.log(
      [...rows, `default path: ${s.commandsRight}/${s.commands} right, wrong device commands ${wrongCommands.length}`].join('\n'),
    );
    expect(s.commands).toBe(SAMPLE);
    // Measured on this sample: 59/60 right; the miss is a wrong device command, "set the heating to
    // nineteen point five degrees" (en-us+m5 at 190 wpm) heard as "... twenty point five ...". On the
    // first 80 of the same seeded order: 79/80. The bars sit just under that, so a change that costs
    // the default path commands fails here, not only in the bench.
    expect(s.commandsRight, rows.join('\n')).toBeGreaterThanOrEqual(57);
    expect(wrongCommands.length, rows.join('\n')).toBeLessThanOrEqual(1);
  }, 120_000);
});
