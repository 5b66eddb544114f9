import { describe, expect, it } from 'vitest';
import { DEFAULT_GARBAGE, GARBAGE_PHONES } from './garbage.js';
import { ANSWER_INTENTS, buildAnswerGrammar, buildGrammar, grammarVocabulary, loadDictionaryWords } from './grammar.js';
import { INTENT_TEMPLATES } from './intents.js';
import { defaultHomeRegistry } from './testing/defaultHome.js';

const dict = loadDictionaryWords();

describe('buildGrammar', () => {
  it('covers every template and device of the default home with dictionary words only', () => {
    const g = buildGrammar(defaultHomeRegistry(), dict);
    expect(g.skipped).toEqual([]);
    // every command template; the answers to a question only in their own grammar
    INTENT_TEMPLATES.forEach((t, i) => expect(g.jsgf.includes(`<t${i}> = `), t.template).toBe(!ANSWER_INTENTS.has(t.intent)));
    const answers = buildAnswerGrammar(dict);
    expect(answers).toMatch(/^#JSGF V1.0;\ngrammar alicia_answers;\n/);
    expect(answers).toContain('yes');
    expect(g.words).not.toContain('yes');
    expect(g.jsgf).toMatch(/^#JSGF V1.0;\ngrammar alicia;\n/);
    expect(g.jsgf).toMatch(/<device> = .*kitchen light.*;/);
    // a pronoun stands for a device, never after an article ("is the it off" is nothing the matcher reads)
    expect(g.jsgf).not.toMatch(/<device> = .*\bit\b/);
    expect(g.jsgf).toContain('( [ the ] <device> | it | that )');
    expect(g.words).toEqual(expect.arrayContaining(['it', 'that']));
    expect(g.jsgf).toContain('<room> = living room | ');
    for (const w of g.words) expect(dict.has(w)).toBe(true);
    expect(g.words).toEqual(expect.arrayContaining(['kitchen', 'thermostat', 'twenty', 'percent', 'unlock']));
  });

  it('builds the same grammar from the dictionary words of its vocabulary alone, a few hundred instead of the whole dictionary', () => {
    const reg = defaultHomeRegistry();
    reg.upsert({
      device_id: 'zorb',
      name: 'zorblax lamp',
      kind: 'light',
      room: 'attic',
      aliases: ['reading lamp'],
      traits: ['on_off'],
      state: {},
      online: true,
    });
    const few = loadDictionaryWords(undefined, grammarVocabulary(reg));
    expect(few.size).toBeLessThan(2000);
    expect(few.size).toBeLessThan(dict.size / 100);
    expect(few.has('zorblax')).toBe(false);
    // the garbage path's words are looked up too: the FSG is the same as from the whole dictionary
    expect(few.has('garage')).toBe(true);
    expect(buildGrammar(reg, few)).toEqual(buildGrammar(reg, dict));
  });

  it('writes the same commands as FSG text with a garbage path: phones, and the garbage words the commands do not use', () => {
    const g = buildGrammar(defaultHomeRegistry(), dict);
    expect(g.fsg).toMatch(/^FSG_BEGIN alicia\nNUM_STATES \d+\nSTART_STATE 0\nFINAL_STATE 1\n/);
    expect(g.fsg.trimEnd().endsWith('FSG_END')).toBe(true);
    for (const w of g.words) expect(g.fsg).toContain(` ${w}\n`);
    for (const p of GARBAGE_PHONES) expect(g.fsg).toContain(` ~${p.toLowerCase()}\n`);
    // a household word the home lacks is garbage; one its commands say ("front door") is not
    expect(g.fsg).toContain(' ~garage\n');
    expect(g.words).toContain('front');
    expect(g.fsg).not.toContain(' ~front\n');
    // every state of the commands can leave for the garbage loop, at the entry price
    const states = Number(/NUM_STATES (\d+)/.exec(g.fsg)![1]);
    const entries = g.fsg.split('\n').filter((l) => l.endsWith(` ${DEFAULT_GARBAGE.entryProb}`) && /^TRANSITION \d+ \d+ \S+$/.test(l));
    expect(entries.length).toBeGreaterThan(states / 2);
    // from the loop back into the commands where a device or room name ends ("turn the ~garage ~door off"), or to the end
    const loop = /^TRANSITION (\d+) \1 \S+ ~garage$/m.exec(g.fsg)![1];
    const exits = (fsg: string) => fsg.split('\n').filter((l) => new RegExp(`^TRANSITION ${loop} \\d+ \\S+$`).test(l));
    expect(exits(g.fsg).length).toBeGreaterThan(5);
    const offAfterName = (to: string) => new RegExp(`^TRANSITION ${to} \\d+ \\S+ off$`, 'm').test(g.fsg);
    expect(exits(g.fsg).some((l) => offAfterName(l.split(' ')[2]!))).toBe(true);
    expect(exits(buildGrammar(defaultHomeRegistry(), dict, { ...DEFAULT_GARBAGE, returnProb: 0 }).fsg)).toEqual([`TRANSITION ${loop} 1 1`]);
    // without the garbage path: no garbage unit at all
    expect(buildGrammar(defaultHomeRegistry(), dict, { ...DEFAULT_GARBAGE, entryProb: 0 }).fsg).not.toContain('~');
  });

  it('leaves out and reports device names the recogniser cannot say, and follows registry changes', () => {
    const reg = defaultHomeRegistry();
    const before = buildGrammar(reg, dict);
    reg.upsert({
      device_id: 'zorb',
      name: 'zorblax lamp',
      kind: 'light',
      room: 'attic',
      aliases: ['reading lamp'],
      traits: ['on_off'],
      state: {},
      online: true,
    });
    const g = buildGrammar(reg, dict);
    expect(g.signature).not.toBe(before.signature);
    expect(g.skipped).toHaveLength(2);
    expect(g.skipped).toContainEqual({ kind: 'device', text: 'zorblax lamp', missing: ['zorblax'], device_id: 'zorb' });
    expect(g.skipped).toContainEqual({ kind: 'device', text: 'attic zorblax lamp', missing: ['zorblax'], device_id: 'zorb' });
    expect(g.jsgf).toContain('| reading lamp |');
    expect(g.jsgf).not.toContain('zorblax');
  });
});
