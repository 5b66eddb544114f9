import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { matchIntent } from '../../lib/language/matcher.js';
import { defaultHomeRegistry } from '../../lib/language/testing/defaultHome.js';
import { STRESS_VOICES, TEST, TUNING, sample, utterances } from './corpus.js';
import { SpeechCorpus } from '../testing/speech.js';

const home = defaultHomeRegistry();
const NOW = new Date(2026, 10, 27, 12, 0);
const speech = new SpeechCorpus();

afterAll(() => speech.dispose());

describe('the recognition corpus', () => {
  it('is big enough: >= 200 non-commands, >= 6 voices, 3 speeds in the test set', () => {
    expect(TEST.rejection.length).toBeGreaterThanOrEqual(200);
    expect(TEST.voices.length).toBeGreaterThanOrEqual(6);
    expect(TEST.speeds).toHaveLength(3);
    expect(utterances(TEST).filter((u) => u.kind !== 'command').length).toBeGreaterThanOrEqual(200 * 6 * 3);
  });

  it('keeps tuning and test apart: no shared voice, speed, command or non-command', () => {
    const shared = <T>(a: readonly T[], b: readonly T[]) => a.filter((x) => b.includes(x));
    expect(shared(TUNING.voices, TEST.voices)).toEqual([]);
    expect(shared(TUNING.speeds, TEST.speeds)).toEqual([]);
    expect(shared(TUNING.commands, TEST.commands)).toEqual([]);
    expect(
      shared(
        TUNING.rejection.map((r) => r.text),
        TEST.rejection.map((r) => r.text),
      ),
    ).toEqual([]);
    expect(shared([...TUNING.voices, ...TEST.voices], STRESS_VOICES)).toEqual([]);
  });

  it('is labelled right: typed, every command moves or asks something, no non-command moves a device', () => {
    for (const text of [...TUNING.commands, ...TEST.commands]) {
      const r = matchIntent(text, home, {}, { now: NOW });
      expect(r.understood, text).toBe(true);
    }
    for (const { text } of [...TUNING.rejection, ...TEST.rejection]) {
      expect(matchIntent(text, home, {}, { now: NOW }).commands, text).toEqual([]);
    }
  });

  it('has voices that sound different (espeak-ng falls back to en-us silently for an unknown variant)', async () => {
    const voices = [...TUNING.voices, ...TEST.voices, ...STRESS_VOICES];
    const wavs = await speech.speakAll(voices.map((voice) => ({ text: 'turn on the kitchen light', voice: { voice, speed: 160 } })));
    const hashes = new Set(wavs.map((w) => createHash('sha1').update(w).digest('hex')));
    expect(hashes.size).toBe(voices.length);
  }, 60_000);

  it('samples reproducibly', () => {
    const all = utterances(TEST);
    expect(sample(all, 10, 14)).toEqual(sample(all, 10, 14));
    expect(sample(all, 10, 14)).not.toEqual(sample(all, 10, 15));
    expect(new Set(sample(all, 50, 14)).size).toBe(50);
  });
});
