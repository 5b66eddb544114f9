import { loadavg } from 'node:os';
import { buildGrammar, loadDictionaryWords } from '../../services/lib/language/grammar.js';
import { defaultHomeRegistry } from '../../services/lib/language/testing/defaultHome.js';
import { parseWav, toMono16k } from '../../services/lib/audio/wav.js';
import { PocketsphinxEngine } from '../../services/stt/pocketsphinxEngine.js';
import { TEST, sample, utterances } from '../../services/stt/testing/corpus.js';
import { percent, scoreCorpus } from '../../services/stt/testing/corpusScore.js';
import type { CorpusScore } from '../../services/stt/testing/corpusScore.js';
import { SpeechCorpus } from '../../services/stt/testing/speech.js';
import { wakeStreamCorpus, wakeUtterances } from '../../services/stt/testing/wakeCorpus.js';
import { DEFAULT_WAKE_PHRASE, WakeWordDetector } from '../../services/stt/wakeWord.js';
import type { BenchSection } from './types.js';

/**
 * Recognition accuracy and rejection on the TEST set of services/stt/testing/corpus.ts (voices,
 * speeds and sentences no threshold was chosen on): spoken commands of the default home, and the
 * rejection corpus (everyday speech, near misses naming rooms and devices the home lacks, unknown
 * actions, numbers out of range): all of it with the grammar and its garbage path (FSG, the
 * default). Before/after on a seeded sample of it (BEFORE_SAMPLE utterances, the same every run):
 * the command grammar alone (JSGF) vs with the garbage path, same engine and thresholds. Then the wake
 * word: phrases with a command after them, and false wakes over minutes of speech and noise
 * without the phrase, fed in 100 ms chunks as a listening stream would deliver it.
 */

const CHUNK_MS = 100;
const BEFORE_SAMPLE = 400;
const SEED = 14;

function rows(label: string, s: CorpusScore): (string | number)[][] {
  return [
    [`${label}: commands right`, `${s.commandsRight} / ${s.commands}`, percent(s.commandsRight, s.commands), '>= 95 %'],
    [`${label}: non-commands accepted (false accepts)`, `${s.falseAccepts} / ${s.rejections}`, percent(s.falseAccepts, s.rejections), '< 5 %'],
    [`${label}: non-commands read as a device action`, `${s.deviceActions} / ${s.rejections}`, percent(s.deviceActions, s.rejections), '0'],
  ];
}

async function wake(speech: SpeechCorpus): Promise<(string | number)[][]> {
  const detector = new WakeWordDetector({ phrase: DEFAULT_WAKE_PHRASE });
  await detector.start();
  try {
    const feed = async (pcm: Int16Array): Promise<number> => {
      const n = (16000 * CHUNK_MS) / 1000;
      let wakes = 0;
      for (let at = 0; at < pcm.length; at += n) if ((await detector.process(pcm.slice(at, at + n))).woke) wakes++;
      return wakes;
    };
    const phrases = wakeUtterances(TEST);
    const wavs = await speech.speakAll(phrases.map((u) => ({ text: u.text, voice: u.voice })));
    let detected = 0;
    for (const wav of wavs) {
      detector.reset();
      if ((await feed(toMono16k(parseWav(wav, 'STT_BAD_AUDIO')))) > 0) detected++;
    }
    const stream = await wakeStreamCorpus(speech, TEST);
    detector.reset();
    const falseWakes = await feed(stream);
    const minutes = stream.length / 16000 / 60;
    return [
      [`wake "${DEFAULT_WAKE_PHRASE}" + a command: detected`, `${detected} / ${phrases.length}`, percent(detected, phrases.length), '-'],
      [
        `false wakes over ${minutes.toFixed(1)} min of speech and noise without it`,
        falseWakes,
        `${((falseWakes / minutes) * 60).toFixed(1)} per hour`,
        '-',
      ],
    ];
  } finally {
    await detector.stop();
  }
}

export async function run(): Promise<BenchSection> {
  const home = defaultHomeRegistry();
  const speech = new SpeechCorpus();
  const engine = new PocketsphinxEngine();
  const all = utterances(TEST);
  try {
    await engine.start();
    const g = buildGrammar(home, loadDictionaryWords());
    const some = sample(all, BEFORE_SAMPLE, SEED);
    await engine.setGrammar(g.jsgf);
    const before = await scoreCorpus(engine, speech, some, home);
    await engine.setGrammar(g.fsg);
    const afterSome = await scoreCorpus(engine, speech, some, home);
    const after = await scoreCorpus(engine, speech, all, home);
    const wakeRows = await wake(speech);
    const heard = after.accepts.slice(0, 5).map((a) => `"${a.text}" (${a.voice} ${a.speed}) -> "${a.heard}"`);
    return {
      title: 'Recognition: accuracy on unseen voices, rejection, wake word',
      columns: ['measure', 'count', 'rate', 'target'],
      rows: [
        ...rows(`sample of ${some.length}, before (grammar alone)`, before),
        ...rows(`sample of ${some.length}, after (grammar + garbage path)`, afterSome),
        ...rows(`all ${all.length}, grammar + garbage path`, after),
        ...wakeRows,
      ],
      notes: [
        `TEST set of services/stt/testing/corpus.ts: ${TEST.voices.length} espeak-ng voices (${TEST.voices.join(', ')}) x speeds ${TEST.speeds.join('/')} wpm; ${TEST.commands.length} commands and ${TEST.rejection.length} non-commands each, ${all.length} utterances; nothing was tuned on these`,
        'a command is right when the intent matcher reads the same intent and device commands from the recognised text as from the typed sentence; a device action = a non-command whose reading carries device commands',
        `after: first false accepts: ${heard.join('; ') || 'none'}`,
        `load average at the end: ${loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')}`,
      ],
    };
  } finally {
    await engine.stop();
    await speech.dispose();
  }
}
