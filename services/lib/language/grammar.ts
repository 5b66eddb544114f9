import { closeSync, openSync, readSync } from 'node:fs';
import type { DeviceRegistry } from './deviceRegistry.js';
import { ANSWER_INTENTS, MODE_WORDS } from './intents.js';
import { pocketsphinxBundle } from './pocketsphinxBundle.js';
import { compiledTemplates, PRONOUNS } from './matcher.js';
import { TEENS, TENS, UNITS } from './numbers.js';
import { FsgWriter } from './fsg.js';
import { DEFAULT_GARBAGE, GARBAGE_PHONES, GARBAGE_WORDS, garbageUnit } from './garbage.js';
import type { GarbageOptions } from './garbage.js';
import { parseTemplate, templateWords, toJsgf } from './template.js';
import type { SlotType, TemplateNode } from './template.js';

/**
 * JSGF grammar for pocketsphinx, generated from the same templates the matcher reads plus the
 * current device names, rooms and aliases: pocketsphinx's default English language model does not
 * understand synthetic (espeak) speech, while a grammar of the known commands reaches ~90-96 % word
 * accuracy on it (measured on this project's machines with wide beams, -beam 1e-80 -pbeam 1e-80 -wbeam 1e-60).
 *
 * The decoder can only say words that are in its pronunciation dictionary, so every word is checked
 * against the CMU dictionary; phrases with unknown words are left out and reported (a user who
 * names a device "Zorblax" sees why it is not recognised by voice; typed commands still work).
 */

/**
 * Words of a CMU-format dictionary ("word(2)" alternates folded into "word"); by default the one the app
 * ships. Read from the bytes, one fresh string per word: splitting the 3 MB text into lines and slicing
 * each kept the whole text alive behind the words (V8 sliced strings) and left ~25 MB of garbage.
 * With `among`, only those words are kept: the whole dictionary as a Set is ~6 MiB of heap, and the
 * stt service needs it only to check a grammar's vocabulary (grammarVocabulary), so it reads the
 * file again when the devices change instead of keeping all 126,000 words.
 */
export function loadDictionaryWords(path = pocketsphinxBundle().dict, among?: ReadonlySet<string>): Set<string> {
  const words = new Set<string>();
  scanDictionary(path, (word) => words.add(word), among);
  return words;
}

/**
 * Each entry of a CMU-format dictionary file, in order: its word ("word(2)", an alternative
 * pronunciation, folded into "word") and `entry`, which decodes the whole line (call it during the
 * visit only). With `among`, only the entries of those words. The file is read in 64 KiB pieces, and
 * a line's word is decoded only when its first letter and length match one of `among`: the whole
 * 3 MB file in one Buffer and a string per line stayed in stt as ~7 MiB of garbage after each
 * grammar (measured at rest, before the next collection).
 */
export function scanDictionary(
  path: string,
  visit: (word: string, entry: () => { word: string; phones: string }) => void,
  among?: ReadonlySet<string>,
): void {
  const shapes = among ? new Set([...among].map((w) => w.charCodeAt(0) * 1000 + w.length)) : null;
  const line = (text: Buffer, start: number, end: number): void => {
    const sp = text.indexOf(0x20, start);
    if (sp <= start || sp >= end) return;
    const paren = text[sp - 1] === 0x29 ? text.lastIndexOf(0x28, sp) : -1;
    const wordEnd = paren > start ? paren : sp;
    if (shapes && !shapes.has(text[start]! * 1000 + (wordEnd - start))) return;
    const word = text.toString('latin1', start, wordEnd);
    if (among && !among.has(word)) return;
    visit(word, () => ({ word: text.toString('latin1', start, sp), phones: text.toString('latin1', sp + 1, end).trim() }));
  };
  const fd = openSync(path, 'r');
  try {
    const piece = Buffer.allocUnsafe(65536);
    let carry = Buffer.alloc(0);
    for (;;) {
      const n = readSync(fd, piece, 0, piece.length, null);
      const text = carry.length > 0 ? Buffer.concat([carry, piece.subarray(0, n)]) : piece.subarray(0, n);
      let start = 0;
      for (let nl = text.indexOf(0x0a); nl >= 0; nl = text.indexOf(0x0a, start)) {
        line(text, start, nl);
        start = nl + 1;
      }
      if (n === 0) {
        if (start < text.length) line(text, start, text.length);
        return;
      }
      // a copy: the next read overwrites the piece
      carry = Buffer.from(text.subarray(start));
    }
  } finally {
    closeSync(fd);
  }
}

/** The first pronunciation of each of `words` that a CMU-format dictionary has (missing words are left out). */
export function loadPronunciations(path: string, words: Iterable<string>): Map<string, string> {
  const out = new Map<string, string>();
  // an alternative ("word(2)") comes after its word: the first entry of a word is its own line
  scanDictionary(path, (w, entry) => out.has(w) || out.set(w, entry().phones), new Set(words));
  return out;
}

export interface GrammarSkip {
  /** what was left out: a device phrase, a room, or a template */
  kind: 'device' | 'room' | 'template';
  text: string;
  missing: string[];
  device_id?: string;
}

export interface Grammar {
  jsgf: string;
  /** the same commands plus the garbage path (garbage.ts), in pocketsphinx's FSG text format (fsg.ts) */
  fsg: string;
  /** every word the grammar can produce */
  words: string[];
  skipped: GrammarSkip[];
  /** the registry vocabulary it was built from (regenerate when this changes) */
  signature: string;
}

/** Number words 0-100, plus "point five" for half degrees (thermostat step 0.5). */
const NUMBER_RULES = [
  `<digit> = ${UNITS.slice(1).join(' | ')};`,
  `<teen> = ${TEENS.join(' | ')};`,
  `<tens> = ${TENS.filter((t) => t !== '').join(' | ')};`,
  `<number> = ( zero | <digit> | <teen> | <tens> [ <digit> ] | one hundred ) [ point five ];`,
];
const NUMBER_WORDS = ['zero', ...UNITS, ...TEENS, ...TENS.filter((t) => t !== ''), 'hundred', 'point', 'five'];
/** The same numbers as a template, for the FSG. */
const NUMBER_TEMPLATE = parseTemplate(
  `( zero | ${UNITS.slice(1).join(' | ')} | ${TEENS.join(' | ')} | ( ${TENS.filter((t) => t !== '').join(' | ')} ) [ ${UNITS.slice(1).join(' | ')} ] | one hundred ) [ point five ]`,
);

/**
 * Silence and noise may come between any two words: what pocketsphinx's -fsgusefiller adds to a
 * JSGF grammar, with its default -silprob and -fillprob. The FSG says it itself: once the engine
 * marks the garbage units as fillers, pocketsphinx adds none of its own.
 */
export const FSG_FILLERS: ReadonlyArray<{ word: string; prob: number }> = [
  { word: '<sil>', prob: 0.005 },
  { word: '[NOISE]', prob: 1e-8 },
  { word: '[SPEECH]', prob: 1e-8 },
];

const PRONOUN_NODES: TemplateNode[] = PRONOUNS.map((w) => ({ t: 'word', w }));

/**
 * Every device slot may also be a pronoun ("turn it off"), but never after an article: the typed
 * matcher reads no "the it", and with the pronoun inside the device slot the recogniser could say
 * one (measured: the fast voice's "turn it off" came back "is the it off" at confidence 0.998, which
 * no intent reads). So `[the] {device}` becomes `( [the] {device} | it | that )`.
 */
function withPronouns(node: TemplateNode): TemplateNode {
  const either = (named: TemplateNode): TemplateNode => ({ t: 'alt', options: [named, ...PRONOUN_NODES] });
  switch (node.t) {
    case 'word':
      return node;
    case 'slot':
      return node.slot === 'device' ? either(node) : node;
    case 'opt':
      return { t: 'opt', item: withPronouns(node.item) };
    case 'alt':
      return { t: 'alt', options: node.options.map(withPronouns) };
    case 'seq': {
      const items: TemplateNode[] = [];
      for (let k = 0; k < node.items.length; k++) {
        const a = node.items[k]!;
        const b = node.items[k + 1];
        if (a.t === 'opt' && a.item.t === 'word' && a.item.w === 'the' && b?.t === 'slot' && b.slot === 'device') {
          items.push(either({ t: 'seq', items: [a, b] }));
          k++;
        } else items.push(withPronouns(a));
      }
      return { t: 'seq', items };
    }
  }
}

function slotsOf(node: TemplateNode, out = new Set<SlotType>()): Set<SlotType> {
  if (node.t === 'slot') out.add(node.slot);
  else if (node.t === 'opt') slotsOf(node.item, out);
  else if (node.t === 'alt') node.options.forEach((o) => slotsOf(o, out));
  else if (node.t === 'seq') node.items.forEach((o) => slotsOf(o, out));
  return out;
}

/**
 * The grammar of the answers to a question: the ANSWER_INTENTS templates, nothing else. They are
 * not in the command grammar: a one-syllable "no" fits almost any noise or stray speech (measured:
 * out-of-grammar sentences came back as "no"), so an answer is only listened for when a question
 * is waiting (a stream started with `expect: "answer"`).
 */
export function buildAnswerGrammar(dictionary: ReadonlySet<string>): string {
  const rules: string[] = [];
  compiledTemplates().forEach(({ def, node }, i) => {
    if (!ANSWER_INTENTS.has(def.intent) || [...templateWords(node)].some((w) => !dictionary.has(w))) return;
    rules.push(`<t${i}> = ${toJsgf(node)};`);
  });
  const refs = rules.map((r) => r.slice(0, r.indexOf(' ')));
  return ['#JSGF V1.0;', 'grammar alicia_answers;', ...rules, `public <answer> = ${refs.join(' | ')};`, ''].join('\n');
}

export { ANSWER_INTENTS };

/**
 * Every word buildGrammar looks up in the dictionary for this registry: device phrases, rooms,
 * template words, and the garbage words (the garbage path keeps only those the dictionary has).
 */
export function grammarVocabulary(registry: DeviceRegistry): Set<string> {
  const out = new Set<string>(GARBAGE_WORDS);
  for (const p of registry.phrases()) p.tokens.forEach((w) => out.add(w));
  for (const r of registry.rooms()) r.forEach((w) => out.add(w));
  for (const { node } of compiledTemplates()) templateWords(node).forEach((w) => out.add(w));
  return out;
}

export function buildGrammar(
  registry: DeviceRegistry,
  dictionary: ReadonlySet<string>,
  garbage: GarbageOptions = DEFAULT_GARBAGE,
): Grammar {
  const skipped: GrammarSkip[] = [];
  const words = new Set<string>();
  const missing = (ws: readonly string[]): string[] => ws.filter((w) => !dictionary.has(w));

  const devicePhrases = new Set<string>();
  for (const p of registry.phrases()) {
    const miss = missing(p.tokens);
    if (miss.length > 0) skipped.push({ kind: 'device', text: p.tokens.join(' '), missing: miss, device_id: p.device_id });
    else devicePhrases.add(p.tokens.join(' '));
  }
  const rooms = new Set<string>();
  for (const r of registry.rooms()) {
    const miss = missing(r);
    if (miss.length > 0) skipped.push({ kind: 'room', text: r.join(' '), missing: miss });
    else rooms.add(r.join(' '));
  }
  const slotAlternatives: Record<SlotType, string[]> = {
    device: [...devicePhrases],
    room: [...rooms],
    number: NUMBER_WORDS,
    mode: Object.keys(MODE_WORDS),
  };

  const rules: string[] = [];
  const used = new Set<SlotType>();
  const included: TemplateNode[] = [];
  compiledTemplates().forEach(({ def, node: template }, i) => {
    if (ANSWER_INTENTS.has(def.intent)) return;
    const node = withPronouns(template);
    const miss = missing([...templateWords(node)]);
    if (miss.length > 0) {
      skipped.push({ kind: 'template', text: def.template, missing: miss });
      return;
    }
    const slots = slotsOf(node);
    // A slot with nothing to say (e.g. no rooms yet) would make an empty JSGF rule: leave the template out.
    if ([...slots].some((s) => slotAlternatives[s].length === 0)) return;
    slots.forEach((s) => used.add(s));
    templateWords(node).forEach((w) => words.add(w));
    rules.push(`<t${i}> = ${toJsgf(node)};`);
    included.push(node);
  });

  const slotRules: string[] = [];
  if (used.has('device')) slotRules.push(`<device> = ${slotAlternatives.device.join(' | ')};`);
  if (used.has('room')) slotRules.push(`<room> = ${slotAlternatives.room.join(' | ')};`);
  if (used.has('mode')) slotRules.push(`<mode> = ${slotAlternatives.mode.join(' | ')};`);
  if (used.has('number')) slotRules.push(...NUMBER_RULES);
  for (const s of used) for (const phrase of slotAlternatives[s]) phrase.split(' ').forEach((w) => words.add(w));

  const refs = rules.map((r) => r.slice(0, r.indexOf(' ')));
  const jsgf = ['#JSGF V1.0;', 'grammar alicia;', ...slotRules, ...rules, `public <command> = ${refs.join(' | ')};`, ''].join('\n');
  const fsg = garbageFsg(included, slotAlternatives, words, dictionary, garbage);
  return { jsgf, fsg, words: [...words].sort(), skipped, signature: registry.vocabularySignature() };
}

const phrasesNode = (phrases: readonly string[]): TemplateNode => ({
  t: 'alt',
  options: phrases.map((p) => {
    const items = p.split(' ').map((w): TemplateNode => ({ t: 'word', w }));
    return items.length === 1 ? items[0]! : { t: 'seq', items };
  }),
});

function garbageFsg(
  templates: readonly TemplateNode[],
  slots: Record<SlotType, string[]>,
  commandWords: ReadonlySet<string>,
  dictionary: ReadonlySet<string>,
  garbage: GarbageOptions,
): string {
  const fsg = new FsgWriter();
  const start = fsg.state();
  const final = fsg.state();
  const slotNodes: Record<SlotType, TemplateNode> = {
    device: phrasesNode(slots.device),
    room: phrasesNode(slots.room),
    mode: phrasesNode(slots.mode),
    number: NUMBER_TEMPLATE,
  };
  // where a device or room slot ends: garbage said in its place may return to the command there
  const afterNames = new Set<number>();
  const slot = (s: SlotType, from: number, to: number): void => {
    if (s === 'device' || s === 'room') afterNames.add(to);
    fsg.template(slotNodes[s], from, to, slot);
  };
  for (const t of templates) fsg.template(t, start, final, slot);
  const commandStates = fsg.states;
  if (garbage.entryProb > 0) {
    // one shared loop: at least one unit, then any number, then the end of the sentence
    const loopIn = fsg.state();
    const loop = fsg.state();
    const units: Array<[string, number]> = [
      ...GARBAGE_PHONES.map((p): [string, number] => [garbageUnit(p), garbage.phoneProb]),
      ...[...new Set(GARBAGE_WORDS)]
        .filter((w) => !commandWords.has(w) && dictionary.has(w))
        .map((w): [string, number] => [garbageUnit(w), garbage.wordProb]),
    ];
    for (const [unit, prob] of units) {
      fsg.word(loopIn, loop, unit, prob);
      fsg.word(loop, loop, unit, prob);
    }
    fsg.empty(loop, final);
    if (garbage.returnProb > 0) for (const s of afterNames) fsg.empty(loop, s, garbage.returnProb);
    for (let s = 0; s < commandStates; s++) fsg.empty(s, loopIn, garbage.entryProb);
  }
  for (let s = 0; s < fsg.states; s++) for (const f of FSG_FILLERS) fsg.word(s, s, f.word, f.prob);
  return fsg.text('alicia', start, final);
}
