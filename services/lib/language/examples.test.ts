import { describe, expect, it } from 'vitest';
import { matchIntent } from './matcher.js';
import { defaultHomeDevices, defaultHomeRegistry } from './testing/defaultHome.js';
import { INTENT_TEMPLATES } from './intents.js';
import { examplePhrases } from './examples.js';

describe('"What can I say?" examples', () => {
  it('gives one working phrase per intent family of the default home, each understood as its family', () => {
    const ex = examplePhrases(defaultHomeDevices());
    const families = new Set(INTENT_TEMPLATES.map((t) => t.intent).filter((i) => i !== 'confirm' && i !== 'deny'));
    expect(ex.map((e) => e.intent).sort()).toEqual([...families].sort());
    const registry = defaultHomeRegistry();
    for (const e of ex) expect(matchIntent(e.phrase, registry).intent.name, e.phrase).toBe(e.intent);
    expect(ex.find((e) => e.intent === 'turn_on')?.phrase).toMatch(/^turn on /);
  });

  it('follows the registry: a home without a lock offers no lock phrase, a renamed device is named', () => {
    const home = defaultHomeDevices().filter((d) => d.kind !== 'lock');
    const renamed = home.map((d) => (d.device_id === 'kitchen_speaker' ? { ...d, name: 'jukebox' } : d));
    const ex = examplePhrases(renamed);
    expect(ex.map((e) => e.intent)).not.toContain('lock');
    expect(ex.find((e) => e.intent === 'play_music')?.phrase).toMatch(/jukebox|play music/);
  });
});
