import { describe, expect, it } from 'vitest';
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
    expect(g.jsgf).toMatch(/<device> = .*kitchen light.*\| it \| that;/);
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
    expect(few.size).toBeLessThan(1000);
    expect(few.size).toBeLessThan(dict.size / 100);
    expect(few.has('zorblax')).toBe(false);
    expect(buildGrammar(reg, few)).toEqual(buildGrammar(reg, dict));
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
