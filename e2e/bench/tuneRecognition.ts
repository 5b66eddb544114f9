import { loadavg } from 'node:os';
import { DEFAULT_GARBAGE } from '../../services/lib/language/garbage.js';
import { buildGrammar, loadDictionaryWords } from '../../services/lib/language/grammar.js';
import { PocketsphinxEngine } from '../../services/stt/pocketsphinxEngine.js';
import { TUNING, sample, utterances } from '../../services/stt/accuracy/corpus.js';
import type { CorpusUtterance } from '../../services/stt/accuracy/corpus.js';
import type { SttRecognition } from '../../services/stt/sttEngine.js';
import { percent, scoreCorpus } from '../../services/stt/accuracy/corpusScore.js';
import { BenchSpeaker } from './espeak.js';
import { defaultHome } from './recognition.bench.js';

/**
 * Measures the recogniser on the TUNING set of services/stt/accuracy/corpus.ts, the only set prices and thresholds may be
 * chosen on (the test set is the recognition bench's, recognition.bench.ts). After `npx tsc
 * -b tsconfig.build.json`:
 *
 *   node dist/e2e/bench/tuneRecognition.js [utterances] [all|commands|non] [phoneProb,wordProb,entryProb,returnProb] [minMargin]
 *
 * prints commands right, false accepts and device actions on a seeded sample, and every miss.
 */
const [n = '300', kind = 'all', prices, margin] = process.argv.slice(2);
const [phoneProb, wordProb, entryProb, returnProb] = (prices ?? '').split(',').map(Number);
const garbage = prices
  ? { phoneProb: phoneProb!, wordProb: wordProb!, entryProb: entryProb!, returnProb: returnProb ?? 0 }
  : DEFAULT_GARBAGE;
const home = defaultHome();
const speech = new BenchSpeaker();
const engines = [0, 1].map(() => new PocketsphinxEngine({ parallel: false, ...(margin ? { minMargin: Number(margin) } : {}) }));
try {
  await Promise.all(engines.map((e) => e.start()));
  const fsg = buildGrammar(home, loadDictionaryWords(), garbage).fsg;
  await Promise.all(engines.map((e) => e.setGrammar(fsg)));
  const pool = utterances(TUNING).filter((u) => kind === 'all' || (kind === 'commands') === (u.kind === 'command'));
  const some = sample(pool, Number(n), 7);
  const t0 = performance.now();
  // one line per utterance (kind, right, margin, reason, the decoder's best path): a threshold can be read off one run at minMargin -100
  const observe = (u: CorpusUtterance, r: SttRecognition, right: boolean): void =>
    console.log(
      `seen ${u.kind} ${right ? 'right' : 'wrong'} ${String(r.details?.margin ?? '-')} ${r.reason ?? 'understood'} "${u.text}" -> "${r.text}" (${String(r.details?.heard ?? '')})`,
    );
  const parts = await Promise.all(
    engines.map((e, i) =>
      scoreCorpus(
        e,
        speech,
        some.filter((_, k) => k % 2 === i),
        home,
        observe,
      ),
    ),
  );
  const sum = (k: 'commands' | 'commandsRight' | 'rejections' | 'falseAccepts' | 'deviceActions') => parts.reduce((a, p) => a + p[k], 0);
  for (const p of parts)
    for (const m of p.misses) console.log(`miss   ${m.voice} ${m.speed} "${m.text}" -> "${m.heard}" ${m.reason ?? ''}`);
  for (const p of parts)
    for (const a of p.accepts) console.log(`accept ${a.voice} ${a.speed} "${a.text}" -> "${a.heard}" actions ${a.actions}`);
  console.log(
    JSON.stringify({ garbage, margin: margin ?? 'default' }),
    `commands right ${sum('commandsRight')}/${sum('commands')} ${percent(sum('commandsRight'), sum('commands'))};`,
    `false accepts ${sum('falseAccepts')}/${sum('rejections')} ${percent(sum('falseAccepts'), sum('rejections'))};`,
    `device actions ${sum('deviceActions')};`,
    `${Math.round((performance.now() - t0) / 1000)} s, load ${loadavg()[0]!.toFixed(1)}`,
  );
} finally {
  for (const e of engines) await e.stop();
  await speech.dispose();
}
