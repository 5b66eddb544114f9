import { loadavg } from 'node:os';
import { buildGrammar, loadDictionaryWords } from '../../services/lib/language/grammar.js';
import { findDefaultHomeFile, loadHomeFile } from '../../services/device-manager/homeFile.js';
import { DeviceRegistry } from '../../services/lib/language/deviceRegistry.js';
import { DEFAULT_MIN_MARGIN, DEFAULT_MIN_MARGIN_WITHOUT_GARBAGE, PocketsphinxEngine } from '../../services/stt/pocketsphinxEngine.js';
import { TEST, sample, utterances } from '../../services/stt/accuracy/corpus.js';
import { percent, scoreCorpus } from '../../services/stt/accuracy/corpusScore.js';
import type { CorpusScore } from '../../services/stt/accuracy/corpusScore.js';
import type { CorpusUtterance } from '../../services/stt/accuracy/corpus.js';
import { BenchSpeaker } from './espeak.js';
import type { BenchSection } from './types.js';

/**
 * Recognition accuracy and rejection on the TEST set of services/stt/accuracy/corpus.ts (voices,
 * speeds and sentences no threshold was chosen on): spoken commands of the default home, and the
 * rejection corpus (everyday speech, near misses naming rooms and devices the home lacks, unknown
 * actions, numbers out of range), in stt's two configurations: the command grammar alone (JSGF with
 * its margin threshold, stt's default: "default") and with its garbage path (FSG with its own
 * threshold, config pocketsphinx.garbage_path: "garbage path"), on the same engine.
 */

/**
 * The whole TEST set is 4,788 utterances: ~2 h per grammar on a shared 2-core machine.
 * ALICIA_BENCH_RECOGNITION_UTTERANCES=n measures a seeded sample of n instead (the same every run).
 */
const LIMIT = Number(process.env.ALICIA_BENCH_RECOGNITION_UTTERANCES) || Infinity;
/** engines decoding side by side, each one pass at a time (parallel: false: the same decisions, the phone loop only when needed) */
const SHARDS = 2;
const SEED = 14;

function merge(parts: CorpusScore[]): CorpusScore {
  const sum = (k: 'commands' | 'commandsRight' | 'rejections' | 'falseAccepts' | 'deviceActions') => parts.reduce((a, p) => a + p[k], 0);
  return {
    commands: sum('commands'),
    commandsRight: sum('commandsRight'),
    rejections: sum('rejections'),
    falseAccepts: sum('falseAccepts'),
    deviceActions: sum('deviceActions'),
    misses: parts.flatMap((p) => p.misses),
    accepts: parts.flatMap((p) => p.accepts),
  };
}

function rows(label: string, s: CorpusScore): (string | number)[][] {
  return [
    [`${label}: commands right`, `${s.commandsRight} / ${s.commands}`, percent(s.commandsRight, s.commands), '>= 95 %'],
    [
      `${label}: non-commands accepted (false accepts)`,
      `${s.falseAccepts} / ${s.rejections}`,
      percent(s.falseAccepts, s.rejections),
      '< 5 %',
    ],
    [`${label}: non-commands read as a device action`, `${s.deviceActions} / ${s.rejections}`, percent(s.deviceActions, s.rejections), '0'],
  ];
}

export function defaultHome(): DeviceRegistry {
  const file = findDefaultHomeFile();
  if (!file) throw new Error('resources/home.json not found');
  const registry = new DeviceRegistry();
  for (const d of loadHomeFile(file)) {
    const { id, name, kind, room, aliases, traits, state } = d;
    registry.upsert({ device_id: id, name, kind, room, aliases, traits, state, online: true });
  }
  return registry;
}

export async function run(): Promise<BenchSection> {
  const home = defaultHome();
  const speech = new BenchSpeaker();
  const all = utterances(TEST);
  /** each configuration on engines of its own, with the threshold stt gives it (sttService.ts) */
  const score = async (grammar: string, minMargin: number, us: readonly CorpusUtterance[]): Promise<CorpusScore> => {
    const engines = Array.from({ length: SHARDS }, () => new PocketsphinxEngine({ parallel: false, minMargin }));
    try {
      await Promise.all(engines.map((e) => e.start()));
      await Promise.all(engines.map((e) => e.setGrammar(grammar)));
      return merge(
        await Promise.all(
          engines.map((e, i) =>
            scoreCorpus(
              e,
              speech,
              us.filter((_, k) => k % SHARDS === i),
              home,
            ),
          ),
        ),
      );
    } finally {
      for (const e of engines) await e.stop();
    }
  };
  try {
    const g = buildGrammar(home, loadDictionaryWords());
    const some = LIMIT < all.length ? sample(all, LIMIT, SEED) : all;
    const garbage = await score(g.fsg, DEFAULT_MIN_MARGIN, some);
    const plain = await score(g.jsgf, DEFAULT_MIN_MARGIN_WITHOUT_GARBAGE, some);
    const heard = (s: CorpusScore) => s.accepts.slice(0, 5).map((a) => `"${a.text}" (${a.voice} ${a.speed}) -> "${a.heard}"`);
    return {
      title: 'Recognition: accuracy on unseen voices, rejection of what is not a command',
      columns: ['measure', 'count', 'rate', 'target'],
      rows: [
        ...rows(`default (grammar alone, margin >= ${DEFAULT_MIN_MARGIN_WITHOUT_GARBAGE})`, plain),
        ...rows(`garbage path (pocketsphinx.garbage_path, margin >= ${DEFAULT_MIN_MARGIN})`, garbage),
      ],
      notes: [
        `TEST set of services/stt/accuracy/corpus.ts: ${TEST.voices.length} espeak-ng voices (${TEST.voices.join(', ')}) x speeds ${TEST.speeds.join('/')} wpm; ${TEST.commands.length} commands and ${TEST.rejection.length} non-commands each, ${all.length} utterances${some === all ? '' : `, of which a seeded sample of ${some.length} (${some.filter((u) => u.kind === 'command').length} commands) was measured`}; nothing was tuned on these`,
        'a command is right when the intent matcher reads the same intent and device commands from the recognised text as from the typed sentence; a device action = a non-command whose reading carries device commands',
        `default: first false accepts: ${heard(plain).join('; ') || 'none'}`,
        `garbage path: first false accepts: ${heard(garbage).join('; ') || 'none'}`,
        `load average at the end: ${loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')}`,
      ],
    };
  } finally {
    await speech.dispose();
  }
}
