#!/usr/bin/env node
// Writes services/lib/language/garbageVocabulary.ts: the garbage path's words (garbage.ts), derived
// mechanically, never typed by hand. Two lists, each ranked by the unigram probability of the
// general US English word language model of Debian's pocketsphinx-en-us (en-us.lm.bin):
//  - EVERYDAY: the most frequent words of English that the CMU dictionary can say;
//  - HOUSEHOLD: the most frequent one-word nouns whose first sense in WordNet is a man-made thing
//    (lexicographer file noun.artifact: rooms, buildings, devices, furniture, appliances, clothes...).
// The grammar drops the home's own command words from them when it is built.
// Needs: apt-get install pocketsphinx-en-us sphinxbase-utils wordnet-base (build/setup.sh installs them)
// Run: node build/garbage-vocabulary/generate.mjs [everyday household] [--out FILE]
// generate.test.ts reruns it with the counts the committed file names and compares.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
const OUT = outAt >= 0 ? args.splice(outAt, 2)[1] : join(root, 'services/lib/language/garbageVocabulary.ts');
const EVERYDAY = Number(args[0] ?? 300);
const HOUSEHOLD = Number(args[1] ?? 800);
const LM = '/usr/share/pocketsphinx/model/en-us/en-us.lm.bin';
const WORDNET = '/usr/share/wordnet/data.noun';
const DICT = join(root, 'resources/pocketsphinx/model/en-us/cmudict-en-us.dict');

// Each input from Debian, with its package: a missing one is named, not met as an odd error later.
const onPath = (cmd) => (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, cmd)));
const missing = [
  [existsSync(LM), 'pocketsphinx-en-us', LM],
  [onPath('sphinx_lm_convert'), 'sphinxbase-utils', 'sphinx_lm_convert'],
  [existsSync(WORDNET), 'wordnet-base', WORDNET],
].filter(([found]) => !found);
if (missing.length > 0) {
  console.error(
    `generate.mjs: missing ${missing.map(([, pkg, what]) => `${what} (Debian package ${pkg})`).join(', ')}: ` +
      `apt-get install ${missing.map(([, pkg]) => pkg).join(' ')}, or run build/setup.sh`,
  );
  process.exit(1);
}

// unigrams: sphinx_lm_convert writes the 1-grams first (it fails an assertion later, on the
// 2-grams of this model, after the 1-grams are out)
const dir = mkdtempSync(join(tmpdir(), 'garbage-vocabulary-'));
const arpa = join(dir, 'lm.arpa');
try {
  execFileSync('sphinx_lm_convert', ['-i', LM, '-o', arpa, '-ofmt', 'arpa'], { stdio: 'ignore' });
} catch {
  // expected: see above; the 1-grams are checked below
}
const text = readFileSync(arpa, 'utf8');
rmSync(dir, { recursive: true, force: true });
const uni = text.slice(text.indexOf('\\1-grams:'), text.indexOf('\\2-grams:'));
const logProb = new Map();
for (const line of uni.split('\n').slice(1)) {
  const [p, w] = line.split(/\s+/);
  if (w && /^[a-z]+$/.test(w)) logProb.set(w, Number(p));
}
if (logProb.size < 50000) throw new Error(`only ${logProb.size} unigrams read from ${LM}`);

const dict = new Set();
for (const line of readFileSync(DICT, 'latin1').split('\n')) {
  const w = line.split(' ')[0];
  if (w && !w.includes('(')) dict.add(w);
}

// WordNet: index.<pos> lists a lemma's senses most frequent first, with how often its senses were
// tagged in WordNet's corpus; data.noun says which lexicographer file a sense belongs to
const WN = dirname(WORDNET);
const index = (pos) => {
  const out = new Map();
  for (const line of readFileSync(join(WN, `index.${pos}`), 'utf8').split('\n')) {
    if (line === '' || line.startsWith(' ')) continue;
    const f = line.trim().split(' ');
    const pointers = Number(f[3]);
    out.set(f[0], { tagged: Number(f[5 + pointers]), first: f[6 + pointers] });
  }
  return out;
};
const nouns = index('noun');
const verbs = index('verb');
const adjectives = index('adj');
const lexFile = new Map();
for (const line of readFileSync(WORDNET, 'utf8').split('\n')) {
  if (line === '' || line.startsWith(' ')) continue; // the licence header
  const f = line.split(' ', 2);
  lexFile.set(f[0], f[1]);
}
// a thing: its most frequent noun sense is in noun.artifact (lexicographer file 06), and it is at
// least as often a noun as a verb or an adjective ("stop", "left" and "working" are not things)
const artifacts = new Set();
for (const [lemma, n] of nouns) {
  if (!/^[a-z]+$/.test(lemma) || lexFile.get(n.first) !== '06') continue;
  if (n.tagged >= Math.max(verbs.get(lemma)?.tagged ?? 0, adjectives.get(lemma)?.tagged ?? 0)) artifacts.add(lemma);
}

const byFrequency = (ws) =>
  [...ws].filter((w) => dict.has(w) && logProb.has(w) && w.length > 1).sort((a, b) => logProb.get(b) - logProb.get(a) || (a < b ? -1 : 1));
const everyday = byFrequency(logProb.keys()).slice(0, EVERYDAY);
const household = byFrequency(artifacts)
  .filter((w) => !everyday.includes(w))
  .slice(0, HOUSEHOLD);

const lines = (ws) => {
  const out = [];
  let line = ' ';
  for (const w of ws) {
    const item = ` '${w}',`;
    if (line.length + item.length > 118) {
      out.push(line);
      line = ' ';
    }
    line += item;
  }
  out.push(line);
  return out.join('\n');
};

writeFileSync(
  OUT,
  `// Generated by build/garbage-vocabulary/generate.mjs ${EVERYDAY} ${HOUSEHOLD}: do not edit, rerun it.

/** The ${EVERYDAY} most frequent words of English (unigrams of pocketsphinx's en-us word language model) that the CMU dictionary has. */
export const EVERYDAY_WORDS: readonly string[] = [
${lines(everyday)}
]; // prettier-ignore

/** The ${HOUSEHOLD} most frequent one-word nouns whose first WordNet sense is a man-made thing (noun.artifact), not in EVERYDAY_WORDS, same ranking. */
export const HOUSEHOLD_WORDS: readonly string[] = [
${lines(household)}
]; // prettier-ignore
`,
);
console.log(`${everyday.length} everyday, ${household.length} household words`);
